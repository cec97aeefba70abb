// Service accounts: the list (search, filter, sort, pages), Create, the detail page with its
// audit trail and the revoke, rotate and transfer dialogs, and the page that shows a token once.

import { useEffect, useRef, useState } from 'preact/hooks';
import { EventsTable } from './audit.js';
import * as data from './data.js';
import * as check from './limits.js';
import {
  Badge,
  Dialog,
  DialogButtons,
  Field,
  FormError,
  html,
  Loading,
  Notice,
  Page,
  Pager,
  RoleChoice,
  relative,
  statusLabel,
  Table,
  Time,
  useForm,
  useLoad,
} from './ui.js';

const suspendedWhy = {
  creator_deactivated: 'its owner was deactivated',
  creator_role_removed: 'its owner lost a role it carries',
};

const sorts = [
  ['CREATED_AT:DESC', 'Newest first'],
  ['CREATED_AT:ASC', 'Oldest first'],
  ['EXPIRES_AT:ASC', 'Expiring soonest'],
  ['EXPIRES_AT:DESC', 'Expiring latest'],
  ['NAME:ASC', 'Purpose A–Z'],
  ['NAME:DESC', 'Purpose Z–A'],
  ['LAST_USED_AT:DESC', 'Used most recently'],
];
const statuses = [
  ['', 'All statuses', 'No service accounts yet.'],
  ['ACTIVE', 'Active', 'No active service accounts.'],
  ['EXPIRING_SOON', 'Expiring soon', 'No service accounts expire soon.'],
  ['EXPIRED', 'Expired', 'No expired service accounts.'],
  ['REVOKED', 'Revoked', 'No revoked service accounts.'],
  ['SUSPENDED', 'Suspended', 'No suspended service accounts.'],
];

/** Keeps a list's filters in the address (without a hashchange: the screen keeps its focus). */
export function useAddress(path, values) {
  useEffect(() => {
    const query = new URLSearchParams(Object.entries(values).filter(([, v]) => v !== '' && v != null)).toString();
    history.replaceState(null, '', `${path}${query ? `?${query}` : ''}`);
  }, [path, ...Object.values(values)]);
}

/** The value, once it has stopped changing for `ms` (for search as you type). */
export function useSettled(value, ms = 250) {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value]);
  return settled;
}

/** Cursors of the pages seen, so that "Previous page" can go back along them. */
export function usePages(reset) {
  const [cursors, setCursors] = useState([null]);
  useEffect(() => setCursors([null]), reset);
  const after = cursors[cursors.length - 1];
  const start = (cursors.length - 1) * data.PAGE_SIZE;
  return {
    after,
    /** Marks a loaded page with where it begins (for "26–50 of 61"). */
    mark: (page) => page && { ...page, start },
    next: (cursor) => setCursors((c) => [...c, cursor]),
    previous: cursors.length > 1 ? () => setCursors((c) => c.slice(0, -1)) : null,
  };
}

function StatusCell({ a }) {
  return html`<${Badge} status=${a.status} />
    ${a.suspendedReason ? html`<span class="muted"> ${suspendedWhy[a.suspendedReason] ?? a.suspendedReason}</span>` : null}
    ${
      a.revokedAt
        ? html`<span class="muted"> <${Time} iso=${a.revokedAt} />${a.revokedBy ? ` by ${a.revokedBy.userName}` : ''}</span>`
        : null
    }
    ${a.rotatedTo ? html`<span class="muted"> replaced by <a href=${`#/service-accounts/${a.rotatedTo.id}`}>#${a.rotatedTo.id}</a></span>` : null}`;
}

export function AccountsList({ params }) {
  const [search, setSearch] = useState(params.search ?? '');
  const [status, setStatus] = useState(params.status ?? '');
  const [role, setRole] = useState(params.role ?? '');
  const [owner, setOwner] = useState(params.owner ?? '');
  const [sort, setSort] = useState(sorts.some(([v]) => v === params.sort) ? params.sort : sorts[0][0]);
  const settledSearch = useSettled(search);
  const settledOwner = useSettled(owner);
  const pages = usePages([settledSearch, status, role, settledOwner, sort]);
  useAddress('#/service-accounts', {
    search: settledSearch,
    status,
    role,
    owner: settledOwner,
    sort: sort === sorts[0][0] ? '' : sort,
  });
  const [field, direction] = sort.split(':');
  const {
    data: page,
    error,
    loading,
  } = useLoad(
    () =>
      data
        .serviceAccountsPage({
          first: data.PAGE_SIZE,
          after: pages.after,
          filter: { search: settledSearch, status: status || null, role: role || null, createdBy: settledOwner },
          orderBy: { field, direction },
        })
        .then(pages.mark),
    [settledSearch, status, role, settledOwner, sort, pages.after],
  );
  const candidates = page?.ownerCandidates;
  const empty = candidates
    ? candidates.length === 0
      ? `No user’s name holds “${settledOwner.trim()}”.`
      : `“${settledOwner.trim()}” is in several users’ names (${candidates.join(', ')}): type one of them whole.`
    : settledSearch || role || settledOwner
      ? 'No service accounts match.'
      : statuses.find(([v]) => v === status)?.[2];
  return html`<${Page}
    title="Service accounts"
    actions=${html`<a class="button" href="#/service-accounts/new">Create service account</a>`}
  >
    <form class="filters" role="search" aria-label="Service accounts" onSubmit=${(e) => e.preventDefault()}>
      <div class="field grow">
        <label for="sa-search">Search</label>
        <input id="sa-search" type="search" value=${search} placeholder="Purpose, or a whole token id" onInput=${(e) => setSearch(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="sa-status">Status</label>
        <select id="sa-status" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
          ${statuses.map(([v, label]) => html`<option value=${v}>${label}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="sa-role">Role</label>
        <select id="sa-role" value=${role} onChange=${(e) => setRole(e.currentTarget.value)}>
          <option value="">Any role</option>
          ${check.ROLES.map((r) => html`<option value=${r.value}>${r.label}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="sa-owner">Owner</label>
        <input id="sa-owner" value=${owner} placeholder="User name" onInput=${(e) => setOwner(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="sa-sort">Sort by</label>
        <select id="sa-sort" value=${sort} onChange=${(e) => setSort(e.currentTarget.value)}>
          ${sorts.map(([v, label]) => html`<option value=${v}>${label}</option>`)}
        </select>
      </div>
    </form>
    ${
      !page
        ? html`<${Loading} error=${error} />`
        : page.nodes.length === 0
          ? html`<p class="empty" role="status">${empty}</p>`
          : html`<${Table}
              caption="Service accounts"
              columns=${['Purpose', 'Status', 'Roles', 'Owner', 'Expires', 'Last used', 'Uses']}
            >
              ${page.nodes.map(
                (a) => html`<tr data-id=${a.id}>
                  <td data-label="Purpose"><a href=${`#/service-accounts/${a.id}`}>${a.purpose}</a></td>
                  <td data-label="Status"><${StatusCell} a=${a} /></td>
                  <td data-label="Roles">${a.roles.map(check.roleLabel).join(', ')}</td>
                  <td data-label="Owner">${a.createdBy.userName}</td>
                  <td data-label="Expires"><${Time} iso=${a.expiresAt} /> <span class="muted">${relative(a.expiresAt)}</span></td>
                  <td data-label="Last used">
                    <${Time} iso=${a.lastUsedAt} />${a.lastClientAddress ? html` <span class="muted">from ${a.lastClientAddress}</span>` : null}
                  </td>
                  <td data-label="Uses" class="number">${a.useCount}</td>
                </tr>`,
              )}
            <//>`
    }
    ${
      page
        ? html`<${Pager}
            page=${page}
            busy=${loading}
            noun="service accounts"
            onNext=${() => pages.next(page.pageInfo.endCursor)}
            onPrevious=${pages.previous}
          />`
        : null
    }
  <//>`;
}

/** The new token, shown this once, with a Copy button. */
function TokenShown({ issued, title }) {
  const area = useRef(null);
  const [notice, setNotice] = useState(null);
  useEffect(() => {
    area.current?.select();
  }, []);
  const copy = async () => {
    area.current?.select();
    try {
      await navigator.clipboard.writeText(issued.token);
      setNotice({ text: 'Token copied to the clipboard.' });
    } catch {
      setNotice({ text: 'The browser did not allow copying: the token is selected, copy it with your keyboard.' });
    }
  };
  return html`<${Page} title=${title}>
    <div class="card token">
      <p id="token-warning" class="warning">Copy this token now. It will not be shown again.</p>
      <label for="new-token">Token for “${issued.serviceAccount.purpose}” (expires <${Time} iso=${issued.serviceAccount.expiresAt} />)</label>
      <textarea id="new-token" ref=${area} readonly rows="5" aria-describedby="token-warning" value=${issued.token}></textarea>
      <${Notice} notice=${notice} />
      <div class="buttons">
        <button type="button" onClick=${copy}>Copy token</button>
        <a class="button secondary" href=${`#/service-accounts/${issued.serviceAccount.id}`}>Open the account</a>
        <a class="button secondary" href="#/service-accounts">Back to the list</a>
      </div>
    </div>
  <//>`;
}

export function CreateAccount({ me }) {
  const [issued, setIssued] = useState(null);
  const offered = check.ROLES.filter((r) => me.grantableRoles.includes(r.value));
  const form = useForm(
    { durationDays: '90', purpose: '', roles: ['AUDITOR'] },
    {
      durationDays: (v) => check.days(v, me.serviceAccountMaxDays),
      purpose: check.purpose,
      roles: check.someRole,
    },
  );
  if (issued) return html`<${TokenShown} issued=${issued} title="Service account created" />`;
  const submit = (event) =>
    form.submit(event, async () => {
      const { durationDays, purpose, roles } = form.values;
      setIssued(
        await data.createServiceAccount({ durationDays: Number(durationDays), purpose: purpose.trim(), roles }),
      );
    });
  return html`<${Page} title="Create service account">
    <form class="card" onSubmit=${submit} novalidate>
      <${Field}
        form=${form}
        name="purpose"
        label="Purpose"
        hint="What the token is for, kept for auditing (3 to 500 characters)."
        maxlength="500"
        required
      />
      <${Field}
        form=${form}
        name="durationDays"
        label="Duration in days"
        hint=${`1 to ${me.serviceAccountMaxDays} days.`}
        inputmode="numeric"
        required
      />
      <${RoleChoice} form=${form} legend="Roles of the token (only roles you hold)" roles=${offered} />
      <${FormError} form=${form} />
      <div class="buttons">
        <button type="submit" disabled=${form.busy}>Create</button>
        <a class="button secondary" href="#/service-accounts">Cancel</a>
      </div>
    </form>
  <//>`;
}

function RevokeDialog({ account, onClose, onDone }) {
  const form = useForm({});
  return html`<${Dialog} title="Revoke this token?" onClose=${onClose}>
    <form onSubmit=${(e) => form.submit(e, async () => onDone(await data.revokeServiceAccount(account.id)))}>
      <p>Scripts using the token for “${account.purpose}” stop working at once. This cannot be undone.</p>
      <${FormError} form=${form} />
      <${DialogButtons} form=${form} label="Revoke token" danger onClose=${onClose} />
    </form>
  <//>`;
}

function RotateDialog({ account, me, onClose, onDone }) {
  const form = useForm({ durationDays: '90' }, { durationDays: (v) => check.days(v, me.serviceAccountMaxDays) });
  const submit = (e) =>
    form.submit(e, async () => onDone(await data.rotateServiceAccount(account.id, Number(form.values.durationDays))));
  return html`<${Dialog} title="Rotate this token" onClose=${onClose}>
    <form onSubmit=${submit} novalidate>
      <p>A new token with the same purpose and roles is issued; the old one stops working at once.</p>
      <${Field}
        form=${form}
        name="durationDays"
        label="Days until the new token expires"
        hint=${`1 to ${me.serviceAccountMaxDays} days.`}
        inputmode="numeric"
        required
      />
      <${FormError} form=${form} />
      <${DialogButtons} form=${form} label="Rotate token" onClose=${onClose} />
    </form>
  <//>`;
}

function TransferDialog({ account, me, onClose, onDone }) {
  // Whom the server accepts: an active administrator who may grant every role the token carries.
  const { data: admins, error } = useLoad(() =>
    data
      .administrators()
      .then((all) => all.filter((u) => account.roles.every((r) => r === 'AUDITOR' || u.roles.includes(r)))),
  );
  const form = useForm({ toUserId: '' }, { toUserId: (v) => (v ? '' : 'Choose who takes it over.') });
  useEffect(() => {
    const self = admins?.find((u) => u.userName === me.userName);
    if (self && !form.values.toUserId) form.set('toUserId', self.id);
  }, [admins]);
  const error_ = form.error('toUserId');
  const submit = (e) =>
    form.submit(e, async () => onDone(await data.transferServiceAccount(account.id, form.values.toUserId)));
  return html`<${Dialog} title="Transfer this account" onClose=${onClose}>
    <form onSubmit=${submit} novalidate>
      <p>
        The new owner must be an active administrator who holds its roles (${account.roles.map(check.roleLabel).join(', ')}).
        ${account.status === 'SUSPENDED' ? ' The token works again once transferred.' : ''}
      </p>
      ${
        admins
          ? html`<div class="field">
              <label for="f-toUserId">New owner</label>
              <select
                id="f-toUserId"
                value=${form.values.toUserId}
                aria-invalid=${error_ ? 'true' : 'false'}
                aria-describedby=${error_ ? 'f-toUserId-error' : undefined}
                onChange=${(e) => form.set('toUserId', e.currentTarget.value)}
              >
                <option value="">Choose an administrator</option>
                ${admins.map((u) => html`<option value=${u.id}>${u.userName}${u.userName === me.userName ? ' (you)' : ''}</option>`)}
              </select>
              ${error_ ? html`<p class="field-error" id="f-toUserId-error">${error_}</p>` : null}
            </div>`
          : html`<${Loading} error=${error} />`
      }
      ${admins?.length === 0 ? html`<p class="notice error" role="alert">No active administrator holds these roles: give one of them the roles first.</p>` : null}
      <${FormError} form=${form} />
      <${DialogButtons} form=${form} label="Transfer" onClose=${onClose} />
    </form>
  <//>`;
}

export function AccountDetail({ id, me }) {
  const { data: account, error, reload } = useLoad(() => data.serviceAccount(id), [id]);
  const [dialog, setDialog] = useState(null);
  const [notice, setNotice] = useState(null);
  const [issued, setIssued] = useState(null);
  const [trail, setTrail] = useState(0);
  if (issued) return html`<${TokenShown} issued=${issued} title="Token rotated" />`;
  if (!account) return html`<${Page} title="Service account"><${Loading} error=${error} /><//>`;
  const close = () => setDialog(null);
  const done = (text) => () => {
    setDialog(null);
    setNotice({ text });
    reload();
    setTrail((t) => t + 1);
  };
  const a = account;
  const live = a.status !== 'REVOKED';
  return html`<${Page}
    title=${a.purpose}
    actions=${html`<a class="button secondary" href="#/service-accounts">Back to the list</a>`}
  >
    <${Notice} notice=${notice} />
    <dl class="facts card">
      <div><dt>Status</dt><dd><${StatusCell} a=${a} /></dd></div>
      <div><dt>Roles</dt><dd>${a.roles.map(check.roleLabel).join(', ')}</dd></div>
      <div><dt>Owner</dt><dd>${a.createdBy.userName}</dd></div>
      <div><dt>Token id</dt><dd><code>${a.tokenId}</code></dd></div>
      <div><dt>Created</dt><dd><${Time} iso=${a.createdAt} /></dd></div>
      <div><dt>Expires</dt><dd><${Time} iso=${a.expiresAt} /> <span class="muted">${relative(a.expiresAt)}</span></dd></div>
      <div><dt>Last used</dt><dd><${Time} iso=${a.lastUsedAt} />${a.lastClientAddress ? ` from ${a.lastClientAddress}` : ''}</dd></div>
      <div><dt>Uses</dt><dd>${a.useCount}</dd></div>
      ${a.suspendedAt ? html`<div><dt>Suspended</dt><dd><${Time} iso=${a.suspendedAt} /> (${suspendedWhy[a.suspendedReason] ?? a.suspendedReason})</dd></div>` : null}
      ${a.revokedAt ? html`<div><dt>Revoked</dt><dd><${Time} iso=${a.revokedAt} />${a.revokedBy ? ` by ${a.revokedBy.userName}` : ''}</dd></div>` : null}
      ${a.rotatedFrom ? html`<div><dt>Replaces</dt><dd><a href=${`#/service-accounts/${a.rotatedFrom.id}`}>#${a.rotatedFrom.id} ${a.rotatedFrom.purpose}</a></dd></div>` : null}
      ${a.rotatedTo ? html`<div><dt>Replaced by</dt><dd><a href=${`#/service-accounts/${a.rotatedTo.id}`}>#${a.rotatedTo.id} ${a.rotatedTo.purpose}</a> (${statusLabel(a.rotatedTo.status).toLowerCase()})</dd></div>` : null}
    </dl>
    ${
      live
        ? html`<div class="buttons actions-row">
            ${a.status !== 'SUSPENDED' && a.status !== 'EXPIRED' ? html`<button type="button" class="secondary" onClick=${() => setDialog('rotate')}>Rotate</button>` : null}
            <button type="button" class="secondary" onClick=${() => setDialog('transfer')}>Transfer</button>
            <button type="button" class="danger" onClick=${() => setDialog('revoke')}>Revoke</button>
          </div>`
        : null
    }
    <h3>Audit trail</h3>
    <${AccountTrail} id=${a.id} key=${trail} />
    ${dialog === 'revoke' ? html`<${RevokeDialog} account=${a} onClose=${close} onDone=${done(`Revoked the token for “${a.purpose}”.`)} />` : null}
    ${dialog === 'rotate' ? html`<${RotateDialog} account=${a} me=${me} onClose=${close} onDone=${(r) => setIssued(r)} />` : null}
    ${dialog === 'transfer' ? html`<${TransferDialog} account=${a} me=${me} onClose=${close} onDone=${done(`“${a.purpose}” has a new owner${a.status === 'SUSPENDED' ? ', and works again' : ''}.`)} />` : null}
  <//>`;
}

function AccountTrail({ id }) {
  const pages = usePages([id]);
  const {
    data: page,
    error,
    loading,
  } = useLoad(
    () => data.auditEventsPage({ after: pages.after, filter: { serviceAccountId: Number(id) } }).then(pages.mark),
    [id, pages.after],
  );
  if (!page) return html`<${Loading} error=${error} />`;
  return html`<${EventsTable} events=${page.nodes} caption="Audit trail of the account" />
    <${Pager}
      page=${page}
            busy=${loading}
      noun="events"
      onNext=${() => pages.next(page.pageInfo.endCursor)}
      onPrevious=${pages.previous}
    />`;
}
