// The administration console: sign in, then manage service accounts, through /graphql only.
// Plain DOM (no framework); every value from the server is set as text, never as HTML.

import { graphql, TOKEN_KEY } from './api.js';
import { auditView } from './audit.js';
import { createView, showToken } from './create.js';
import { expiresIn, h, say, show, when } from './dom.js';
import { sessionsView } from './sessions.js';

let me = null;

async function signInView() {
  document.getElementById('user-menu').hidden = true;
  const userName = h('input', { id: 'userName', name: 'userName', autocomplete: 'username', required: true });
  const password = h('input', {
    id: 'password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const form = h(
    'form',
    {
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          const data = await graphql('ConsoleSignIn', { u: userName.value, p: password.value });
          sessionStorage.setItem(TOKEN_KEY, data.login.token);
          say('');
          location.hash = '#/service-accounts';
          await route();
        } catch (error) {
          say(error.message, true);
          password.value = '';
          password.focus();
        }
      },
    },
    h('label', { for: 'userName' }, 'User name', userName),
    h('label', { for: 'password' }, 'Password', password),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  show('Sign in', form);
  userName.focus();
}

async function loadMe() {
  const data = await graphql('ConsoleMe');
  me = data.me;
  document.getElementById('who').textContent = `Signed in as ${me.userName}`;
  document.getElementById('user-menu').hidden = false;
  return me;
}

const suspendedWhy = {
  creator_deactivated: 'its creator was deactivated',
  creator_role_removed: 'its creator lost a role it carries',
};

async function listView() {
  const filter = new URLSearchParams(location.hash.split('?')[1] ?? '').get('status') ?? '';
  const select = h(
    'select',
    {
      id: 'status-filter',
      onchange: () => {
        location.hash = select.value ? `#/service-accounts?status=${select.value}` : '#/service-accounts';
      },
    },
    ...[
      ['', 'All'],
      ['ACTIVE', 'Active'],
      ['EXPIRING_SOON', 'Expiring soon'],
      ['EXPIRED', 'Expired'],
      ['REVOKED', 'Revoked'],
      ['SUSPENDED', 'Suspended'],
    ].map(([value, label]) => h('option', { value, selected: value === filter }, label)),
  );
  const data = await graphql('ConsoleServiceAccounts', { filter: filter ? { status: filter } : null });
  const rows = data.serviceAccounts.map((a) =>
    h(
      'tr',
      { 'data-id': a.id },
      h('td', {}, a.purpose),
      h('td', {}, a.roles.join(', ')),
      h('td', {}, a.createdBy.userName),
      h('td', {}, when(a.createdAt)),
      h('td', {}, when(a.expiresAt), h('br'), h('small', {}, expiresIn(a.expiresAt))),
      h('td', {}, when(a.lastUsedAt), a.lastClientAddress ? h('small', {}, ` from ${a.lastClientAddress}`) : null),
      h('td', {}, String(a.useCount)),
      h(
        'td',
        {},
        h('span', { class: `badge ${a.status}` }, a.status.replace('_', ' ').toLowerCase()),
        a.suspendedReason ? h('small', {}, ` (${suspendedWhy[a.suspendedReason] ?? a.suspendedReason})`) : null,
      ),
      h(
        'td',
        { class: 'actions' },
        h('a', { href: `#/service-accounts/${a.id}/audit` }, 'Audit trail'),
        a.status === 'SUSPENDED'
          ? h('button', { type: 'button', class: 'secondary', onclick: () => transfer(a) }, 'Transfer to me')
          : null,
        a.status === 'REVOKED' || a.status === 'SUSPENDED'
          ? null
          : h('button', { type: 'button', class: 'secondary', onclick: () => rotate(a) }, 'Rotate'),
        a.status === 'REVOKED'
          ? null
          : h('button', { type: 'button', class: 'danger', onclick: () => revoke(a) }, 'Revoke'),
      ),
    ),
  );
  show(
    'Service Accounts',
    h(
      'div',
      { class: 'toolbar' },
      h('label', { for: 'status-filter' }, 'Status', select),
      h('a', { href: '#/service-accounts/new', class: 'button' }, 'Create New'),
    ),
    rows.length
      ? h(
          'table',
          {},
          h('caption', { class: 'visually-hidden' }, 'Service accounts'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Purpose', 'Roles', 'Creator', 'Created', 'Expires', 'Last used', 'Uses', 'Status', 'Actions'].map(
                (t) => h('th', { scope: 'col' }, t),
              ),
            ),
          ),
          h('tbody', {}, ...rows),
        )
      : h('p', {}, 'No service accounts here yet.'),
  );
}

async function revoke(account) {
  if (!confirm(`Revoke the token for “${account.purpose}”? Scripts using it stop working at once.`)) return;
  try {
    await graphql('ConsoleRevokeServiceAccount', { id: account.id });
    await listView();
    say(`Revoked the token for “${account.purpose}”.`);
  } catch (error) {
    say(error.message, true);
  }
}

async function transfer(account) {
  if (!confirm(`Take over “${account.purpose}”? Its token works again, on your authority.`)) return;
  try {
    const { users } = await graphql('ConsoleUsers');
    const self = users.find((u) => u.userName === me.userName);
    await graphql('ConsoleTransferServiceAccount', { id: account.id, to: self?.id });
    await listView();
    say(`“${account.purpose}” is yours now, and works again.`);
  } catch (error) {
    say(error.message, true);
  }
}

async function rotate(account) {
  const answer = prompt(
    `Rotate “${account.purpose}”: the old token stops at once. Days until the new one expires:`,
    '90',
  );
  if (answer === null) return;
  try {
    const data = await graphql('ConsoleRotateServiceAccount', { id: account.id, days: Number(answer) });
    showToken(data.rotateServiceAccount, 'Token rotated');
  } catch (error) {
    say(error.message, true);
  }
}

async function route() {
  const hash = location.hash || '#/service-accounts';
  if (!sessionStorage.getItem(TOKEN_KEY) || hash.startsWith('#/sign-in')) return signInView();
  try {
    if (!me) await loadMe();
    if (!me.roles.includes('ADMINISTRATOR')) {
      if (hash.startsWith('#/sessions')) return await sessionsView(false);
      return show(
        'Not authorized',
        h(
          'p',
          { class: 'error' },
          `You are signed in as ${me.userName}, but managing service accounts requires the ADMINISTRATOR role.`,
        ),
      );
    }
    if (hash.startsWith('#/sessions')) return await sessionsView(true);
    const audit = /^#\/service-accounts\/(\d+)\/audit$/.exec(hash);
    if (audit) return await auditView(audit[1]);
    if (hash.startsWith('#/service-accounts/new')) return await createView();
    return await listView();
  } catch (error) {
    say(error.message, true);
  }
}

document.getElementById('sign-out').addEventListener('click', async () => {
  // The session ends on the server too: its token is refused from now on.
  await graphql('ConsoleSignOut').catch(() => {});
  sessionStorage.removeItem(TOKEN_KEY);
  me = null;
  location.hash = '#/sign-in';
});
window.addEventListener('hashchange', () => void route());
void route();
