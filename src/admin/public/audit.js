// The audit trail of one service account.

import { graphql } from './api.js';
import { h, show, when } from './dom.js';

export async function auditView(id) {
  const data = await graphql('ConsoleServiceAccountAudit', { id, n: Number(id) });
  const rows = data.auditEvents.nodes.map((e) =>
    h(
      'tr',
      {},
      h('td', {}, when(e.at)),
      h('td', {}, e.action),
      h('td', {}, e.actorLabel ?? '—'),
      h('td', {}, e.clientAddress ?? '—'),
      h('td', {}, h('code', {}, e.details ?? '')),
    ),
  );
  show(
    `Audit trail: ${data.serviceAccount.purpose}`,
    h('p', {}, h('a', { href: '#/service-accounts' }, 'Back to the list')),
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h('tr', {}, ...['When', 'Action', 'Actor', 'Address', 'Details'].map((t) => h('th', { scope: 'col' }, t))),
      ),
      h('tbody', {}, ...rows),
    ),
  );
}
