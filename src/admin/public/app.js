// The administration console: a hash router over the screens, and sign-in. Talks to the server
// through data.js (and api.js below it) only.

import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { AccountDetail, AccountsList, CreateAccount } from './accounts.js';
import { TOKEN_KEY, whenSignedOut } from './api.js';
import { AuditScreen } from './audit.js';
import * as data from './data.js';
import { MyAccount } from './me.js';
import { Field, FormError, html, Loading, Page, useForm } from './ui.js';
import { CreateUser, UserDetail, UsersList } from './users.js';

const signedIn = () => Boolean(sessionStorage.getItem(TOKEN_KEY));

function SignIn({ onSignedIn }) {
  const form = useForm(
    { userName: '', password: '' },
    {
      userName: (v) => (v.trim() ? '' : 'Enter your user name.'),
      password: (v) => (v ? '' : 'Enter your password.'),
    },
  );
  const submit = (event) =>
    form.submit(event, async () => {
      try {
        sessionStorage.setItem(TOKEN_KEY, await data.login(form.values.userName, form.values.password));
      } catch (error) {
        form.set('password', '');
        if (error.code === 'UNAUTHENTICATED') error.message = 'That user name and password do not match.';
        throw error.code === 'UNAUTHENTICATED' ? Object.assign(error, { code: 'BAD_USER_INPUT' }) : error;
      }
      onSignedIn();
    });
  return html`<${Page} title="Sign in">
    <form class="card narrow" onSubmit=${submit} novalidate>
      <${Field} form=${form} name="userName" label="User name" autocomplete="username" required />
      <${Field} form=${form} name="password" label="Password" type="password" autocomplete="current-password" required />
      <${FormError} form=${form} />
      <div class="buttons"><button type="submit" disabled=${form.busy}>Sign in</button></div>
    </form>
  <//>`;
}

const links = [
  ['#/service-accounts', 'Service accounts', true],
  ['#/users', 'Users', true],
  ['#/audit', 'Audit', true],
  ['#/account', 'My account', false],
];

function Header({ me, hash, onSignOut }) {
  return html`<header class="bar">
    <a class="brand" href=${me ? '#/service-accounts' : '#/sign-in'}>
      <img src="/admin/favicon.svg" alt="" width="24" height="24" />
      <span>GRC administration</span>
    </a>
    ${
      me
        ? html`<nav aria-label="Main">
            <ul>
              ${links
                .filter(([, , adminOnly]) => !adminOnly || me.roles.includes('ADMINISTRATOR'))
                .map(
                  ([href, label]) =>
                    html`<li>
                      <a href=${href} aria-current=${hash.startsWith(href) ? 'page' : undefined}>${label}</a>
                    </li>`,
                )}
            </ul>
          </nav>
          <div class="who">
            <span><span class="wide-only">Signed in as </span><strong>${me.userName}</strong></span>
            <button type="button" class="secondary small" onClick=${onSignOut}>Sign out</button>
          </div>`
        : null
    }
  </header>`;
}

function NotAuthorized({ me }) {
  return html`<${Page} title="Not authorized">
    <p class="notice error" role="alert">
      You are signed in as ${me.userName}, but this screen requires the ADMINISTRATOR role.
      <a href="#/account">Go to My account</a>.
    </p>
  <//>`;
}

function NotFound() {
  return html`<${Page} title="Page not found">
    <p>There is no such page. <a href="#/service-accounts">Go to Service accounts</a>.</p>
  <//>`;
}

/** The screen for a hash: [component, props]. */
function screenFor(hash, me) {
  const [path, query = ''] = hash.replace(/^#/, '').split('?');
  const params = Object.fromEntries(new URLSearchParams(query));
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'account' || parts[0] === 'sessions') return [MyAccount, { me }];
  const isAdmin = me.roles.includes('ADMINISTRATOR');
  if (!isAdmin) return [NotAuthorized, { me }];
  if (parts[0] === 'service-accounts' || parts.length === 0) {
    if (parts[1] === 'new') return [CreateAccount, { me }];
    if (parts[1]) return [AccountDetail, { id: parts[1], me }];
    return [AccountsList, { params }];
  }
  if (parts[0] === 'users') {
    if (parts[1] === 'new') return [CreateUser, {}];
    if (parts[1]) return [UserDetail, { id: parts[1], me }];
    return [UsersList, { params }];
  }
  if (parts[0] === 'audit') return [AuditScreen, { params }];
  return [NotFound, {}];
}

function App() {
  const [hash, setHash] = useState(location.hash || '#/service-accounts');
  // Bumped on every navigation, the same hash included: the screen starts afresh.
  const [visit, setVisit] = useState(0);
  const [me, setMe] = useState(null);
  const [meError, setMeError] = useState(null);
  const [session, setSession] = useState(signedIn());

  useEffect(() => {
    const onHash = () => {
      setHash(location.hash || '#/service-accounts');
      setVisit((v) => v + 1);
    };
    window.addEventListener('hashchange', onHash);
    // A click on a link to the page already shown opens it afresh (no hashchange fires).
    const onClick = (event) => {
      const link = event.target.closest?.('a[href^="#"]');
      if (link && link.getAttribute('href') === location.hash && !event.defaultPrevented) {
        event.preventDefault();
        onHash();
      }
    };
    document.addEventListener('click', onClick);
    whenSignedOut(() => {
      setMe(null);
      setSession(false);
    });
    return () => {
      window.removeEventListener('hashchange', onHash);
      document.removeEventListener('click', onClick);
    };
  }, []);

  useEffect(() => {
    if (!session) {
      setMe(null);
      return;
    }
    setMeError(null);
    data.viewer().then(setMe, setMeError);
  }, [session]);

  const signOut = async () => {
    await data.logout().catch(() => {});
    sessionStorage.removeItem(TOKEN_KEY);
    setSession(false);
    location.hash = '#/sign-in';
  };

  let content;
  if (!session || hash.startsWith('#/sign-in')) {
    content = html`<${SignIn}
      onSignedIn=${() => {
        setSession(true);
        if (hash.startsWith('#/sign-in') || !hash) location.hash = '#/service-accounts';
        else setVisit((v) => v + 1);
      }}
    />`;
    if (session && hash.startsWith('#/sign-in')) {
      // Signed in already (a token in this tab): straight to the console.
      location.hash = '#/service-accounts';
    }
  } else if (!me) content = html`<${Loading} error=${meError} />`;
  else {
    const [Screen, props] = screenFor(hash, me);
    content = html`<${Screen} key=${`${hash}#${visit}`} ...${props} />`;
  }
  return html`<${Header} me=${session && !hash.startsWith('#/sign-in') ? me : null} hash=${hash} onSignOut=${signOut} />
    <main id="main">${content}</main>`;
}

render(html`<${App} />`, document.getElementById('app'));
