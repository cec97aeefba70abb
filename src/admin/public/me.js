// My account: who I am, my password, my sessions, and signing out everywhere.

import { useState } from 'preact/hooks';
import { forgetSession } from './api.js';
import * as data from './data.js';
import { plain } from './errors.js';
import * as check from './limits.js';
import {
  Dialog,
  DialogButtons,
  Field,
  FormError,
  html,
  Loading,
  Notice,
  Page,
  Table,
  Time,
  useForm,
  useLoad,
} from './ui.js';

export function SessionsTable({ sessions, caption, onEnd }) {
  if (sessions.length === 0) return html`<p class="empty" role="status">No active sessions.</p>`;
  // This session first, then the newest.
  const ordered = [...sessions].sort((a, b) => Number(b.current) - Number(a.current));
  return html`<${Table} caption=${caption} columns=${['Signed in', 'Last seen', 'Expires', 'From', 'Client', 'Action']}>
    ${ordered.map(
      (s) => html`<tr data-id=${s.id}>
        <td data-label="Signed in"><${Time} iso=${s.createdAt} />${s.current ? html` <strong>(this session)</strong>` : null}</td>
        <td data-label="Last seen"><${Time} iso=${s.lastSeenAt} /></td>
        <td data-label="Expires"><${Time} iso=${s.expiresAt} /></td>
        <td data-label="From">${s.clientAddress ?? '—'}</td>
        <td data-label="Client" class="wrap">${s.userAgent ?? '—'}</td>
        <td data-label="Action">
          <button type="button" class="danger small" onClick=${() => onEnd(s)}>
            ${s.current ? 'Sign out' : 'End'}<span class="visually-hidden"> the session signed in <${Time} iso=${s.createdAt} /></span>
          </button>
        </td>
      </tr>`,
    )}
  <//>`;
}

function signedOut() {
  forgetSession();
  location.hash = '#/sign-in';
}

function PasswordForm({ userName, onDone }) {
  const form = useForm(
    { currentPassword: '', newPassword: '', repeat: '' },
    {
      currentPassword: (v) => (v ? '' : 'Enter your password now.'),
      newPassword: (v, all) =>
        check.password(v) || (v === all.currentPassword ? 'Choose a password other than the one now.' : ''),
      repeat: (v, all) => (v === all.newPassword ? '' : 'The two new passwords differ.'),
    },
  );
  const submit = (e) =>
    form.submit(e, async () => {
      await data.changePassword(form.values.currentPassword, form.values.newPassword);
      form.set('currentPassword', '');
      form.set('newPassword', '');
      form.set('repeat', '');
      onDone('Your password is changed. Your other sessions have ended; this one goes on.');
    });
  return html`<form class="card" onSubmit=${submit} novalidate aria-labelledby="password-title">
    <h3 id="password-title">Change your password</h3>
    <input type="text" name="username" autocomplete="username" value=${userName} hidden readonly />
    <${Field} form=${form} name="currentPassword" label="Password now" type="password" autocomplete="current-password" required />
    <${Field}
      form=${form}
      name="newPassword"
      label="New password"
      type="password"
      hint="At least 12 characters, not a common password."
      autocomplete="new-password"
      required
    />
    <${Field} form=${form} name="repeat" label="New password again" type="password" autocomplete="new-password" required />
    <${FormError} form=${form} />
    <div class="buttons"><button type="submit" disabled=${form.busy}>Change password</button></div>
  </form>`;
}

function EverywhereDialog({ sessions, onClose }) {
  const form = useForm({});
  const submit = (e) =>
    form.submit(e, async () => {
      // This session last: the others are ended with its authority.
      const ordered = [...sessions].sort((a, b) => Number(a.current) - Number(b.current));
      for (const s of ordered) await data.revokeSession(s.id);
      signedOut();
    });
  return html`<${Dialog} title="Sign out everywhere?" onClose=${onClose}>
    <form onSubmit=${submit}>
      <p>All ${sessions.length} of your sessions end, this one too: every browser and script signed in as you must sign in again.</p>
      <${FormError} form=${form} />
      <${DialogButtons} form=${form} label="Sign out everywhere" danger onClose=${onClose} />
    </form>
  <//>`;
}

export function MyAccount({ me }) {
  const sessions = useLoad(() => data.ownSessions());
  const [notice, setNotice] = useState(null);
  const [dialog, setDialog] = useState(false);
  const done = (text) => {
    setNotice({ text });
    sessions.reload();
  };
  const end = async (s) => {
    try {
      await data.revokeSession(s.id);
      if (s.current) return signedOut();
      done('The session has ended: its token is refused from now on.');
    } catch (e) {
      setNotice({ text: plain(e).text, error: true });
    }
  };
  return html`<${Page} title="My account">
    <${Notice} notice=${notice} />
    <dl class="facts card">
      <div><dt>User name</dt><dd>${me.userName}</dd></div>
      <div><dt>Roles</dt><dd>${me.roles.map(check.roleLabel).join(', ') || '—'}</dd></div>
    </dl>
    <${PasswordForm} userName=${me.userName} onDone=${done} />
    <h3>Your sessions</h3>
    ${
      sessions.data
        ? html`<${SessionsTable} sessions=${sessions.data} caption="Your sessions" onEnd=${end} />
            <div class="buttons">
              <button type="button" class="danger" onClick=${() => setDialog(true)}>Sign out everywhere</button>
            </div>`
        : html`<${Loading} error=${sessions.error} />`
    }
    ${dialog && sessions.data ? html`<${EverywhereDialog} sessions=${sessions.data} onClose=${() => setDialog(false)} />` : null}
  <//>`;
}
