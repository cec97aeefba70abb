// The administration console: sign in, then manage service accounts, through /graphql only.
// Plain DOM (no framework); every value from the server is set as text, never as HTML.

import { graphql, TOKEN_KEY } from './api.js';
import { auditView } from './audit.js';
import { expiresIn, h, say, show, when } from './dom.js';

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
          const data = await graphql(
            'mutation ($u: String!, $p: String!) { login(userName: $u, password: $p) { token } }',
            { u: userName.value, p: password.value },
          );
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
  const data = await graphql('{ me { userName roles kind } }');
  me = data.me;
  document.getElementById('who').textContent = `Signed in as ${me.userName}`;
  document.getElementById('user-menu').hidden = false;
  return me;
}

const accountFields = `id tokenId purpose roles status createdAt expiresAt expiresInDays revokedAt lastUsedAt
  lastClientAddress useCount createdBy { userName } revokedBy { userName }`;

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
    ].map(([value, label]) => h('option', { value, selected: value === filter }, label)),
  );
  const data = await graphql(
    `query ($filter: ServiceAccountFilter) { serviceAccounts(filter: $filter) { ${accountFields} } }`,
    {
      filter: filter ? { status: filter } : null,
    },
  );
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
      h('td', {}, h('span', { class: `badge ${a.status}` }, a.status.replace('_', ' ').toLowerCase())),
      h(
        'td',
        { class: 'actions' },
        h('a', { href: `#/service-accounts/${a.id}/audit` }, 'Audit trail'),
        a.status === 'REVOKED'
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
    await graphql('mutation ($id: ID!) { revokeServiceAccount(id: $id) { id } }', { id: account.id });
    await listView();
    say(`Revoked the token for “${account.purpose}”.`);
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
    const data = await graphql(
      'mutation ($id: ID!, $days: Int!) { rotateServiceAccount(id: $id, durationDays: $days) { token serviceAccount { id purpose expiresAt } } }',
      { id: account.id, days: Number(answer) },
    );
    showToken(data.rotateServiceAccount, 'Token rotated');
  } catch (error) {
    say(error.message, true);
  }
}

function showToken(created, title) {
  const text = h('textarea', { id: 'new-token', readonly: true, rows: 4, 'aria-describedby': 'token-warning' });
  text.value = created.token;
  const copy = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        text.select();
        try {
          await navigator.clipboard.writeText(created.token);
          say('Token copied to the clipboard.');
        } catch {
          say('Select the token and copy it with your keyboard.');
        }
      },
    },
    'Copy token',
  );
  show(
    title,
    h(
      'div',
      { class: 'token' },
      h('p', { id: 'token-warning', class: 'warning' }, 'Copy this token now. It will not be shown again.'),
      h(
        'label',
        { for: 'new-token' },
        `Token for “${created.serviceAccount.purpose}” (expires ${when(created.serviceAccount.expiresAt)})`,
        text,
      ),
      h('div', { class: 'actions' }, copy, h('a', { href: '#/service-accounts' }, 'Back to the list')),
    ),
  );
  text.focus();
  text.select();
}

async function createView() {
  const days = h('input', {
    id: 'durationDays',
    name: 'durationDays',
    type: 'number',
    min: 1,
    step: 1,
    value: 90,
    required: true,
  });
  const purpose = h('input', { id: 'purpose', name: 'purpose', minlength: 3, maxlength: 500, required: true });
  const roles = ['AUDITOR', 'ISSUE_MANAGER', 'ADMINISTRATOR'].map((role) =>
    h('label', {}, h('input', { type: 'checkbox', name: 'roles', value: role, checked: role === 'AUDITOR' }), role),
  );
  const form = h(
    'form',
    {
      onsubmit: async (event) => {
        event.preventDefault();
        const chosen = [...form.querySelectorAll('input[name=roles]:checked')].map((i) => i.value);
        try {
          const data = await graphql(
            `mutation ($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { token serviceAccount { id purpose expiresAt } } }`,
            { input: { durationDays: Number(days.value), purpose: purpose.value, roles: chosen } },
          );
          say('');
          showToken(data.createServiceAccount, 'Service account created');
        } catch (error) {
          say(error.message, true);
        }
      },
    },
    h('label', { for: 'durationDays' }, 'Duration in days', days),
    h('label', { for: 'purpose' }, 'Purpose (what the token is for)', purpose),
    h('fieldset', {}, h('legend', {}, 'Roles of the token'), ...roles),
    h('button', { type: 'submit' }, 'Create'),
  );
  show('Create New Service Account', form);
  days.focus();
}

async function route() {
  const hash = location.hash || '#/service-accounts';
  if (!sessionStorage.getItem(TOKEN_KEY) || hash.startsWith('#/sign-in')) return signInView();
  try {
    if (!me) await loadMe();
    if (!me.roles.includes('ADMINISTRATOR')) {
      return show(
        'Not authorized',
        h(
          'p',
          { class: 'error' },
          `You are signed in as ${me.userName}, but managing service accounts requires the ADMINISTRATOR role.`,
        ),
      );
    }
    const audit = /^#\/service-accounts\/(\d+)\/audit$/.exec(hash);
    if (audit) return await auditView(audit[1]);
    if (hash.startsWith('#/service-accounts/new')) return await createView();
    return await listView();
  } catch (error) {
    say(error.message, true);
  }
}

document.getElementById('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  me = null;
  location.hash = '#/sign-in';
});
window.addEventListener('hashchange', () => void route());
void route();
