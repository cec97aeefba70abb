// Create New, and the page that shows a new token once.

import { graphql } from './api.js';
import { h, say, show, when } from './dom.js';

export function showToken(created, title) {
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

export async function createView() {
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
          const data = await graphql('ConsoleCreateServiceAccount', {
            input: { durationDays: Number(days.value), purpose: purpose.value, roles: chosen },
          });
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
