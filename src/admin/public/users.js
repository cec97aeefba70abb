// Users: the list (search, filter, sort, pages), Create, and a user's page with roles,
// activate/deactivate, password reset and sessions.

import { useState } from 'preact/hooks';
import { useAddress, usePages, useSettled } from './accounts.js';
import * as data from './data.js';
import { plain } from './errors.js';
import * as check from './limits.js';
import { SessionsTable } from './me.js';
import {
  Badge,
  Dialog,
  DialogButtons,
  Field,
  FormError,
  go,
  html,
  Loading,
  Notice,
  Page,
  Pager,
  RoleChoice,
  Table,
  Time,
  useForm,
  useLoad,
} from './ui.js';

const sorts = [
  ['USER_NAME:ASC', 'User name A–Z'],
  ['USER_NAME:DESC', 'User name Z–A'],
  ['CREATED_AT:DESC', 'Newest first'],
  ['CREATED_AT:ASC', 'Oldest first'],
  ['LAST_LOGIN_AT:DESC', 'Signed in most recently'],
];

export function UsersList({ params }) {
  const [search, setSearch] = useState(params.search ?? '');
  const [role, setRole] = useState(params.role ?? '');
  const [active, setActive] = useState(params.active ?? '');
  const [sort, setSort] = useState(sorts.some(([v]) => v === params.sort) ? params.sort : sorts[0][0]);
  const settled = useSettled(search);
  const pages = usePages([settled, role, active, sort]);
  useAddress('#/users', { search: settled, role, active, sort: sort === sorts[0][0] ? '' : sort });
  const [field, direction] = sort.split(':');
  const {
    data: page,
    error,
    loading,
  } = useLoad(
    () =>
      data
        .usersPage({
          first: data.PAGE_SIZE,
          after: pages.after,
          filter: { search: settled, role: role || null, active: active === '' ? null : active === 'true' },
          orderBy: { field, direction },
        })
        .then(pages.mark),
    [settled, role, active, sort, pages.after],
  );
  return html`<${Page} title="Users" actions=${html`<a class="button" href="#/users/new">Create user</a>`}>
    <form class="filters" role="search" aria-label="Users" onSubmit=${(e) => e.preventDefault()}>
      <div class="field grow">
        <label for="us-search">Search</label>
        <input id="us-search" type="search" value=${search} placeholder="User name, name or email" onInput=${(e) => setSearch(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="us-role">Role</label>
        <select id="us-role" value=${role} onChange=${(e) => setRole(e.currentTarget.value)}>
          <option value="">Any role</option>
          ${check.ROLES.map((r) => html`<option value=${r.value}>${r.label}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="us-active">State</label>
        <select id="us-active" value=${active} onChange=${(e) => setActive(e.currentTarget.value)}>
          <option value="">Any state</option>
          <option value="true">Active</option>
          <option value="false">Deactivated</option>
        </select>
      </div>
      <div class="field">
        <label for="us-sort">Sort by</label>
        <select id="us-sort" value=${sort} onChange=${(e) => setSort(e.currentTarget.value)}>
          ${sorts.map(([v, label]) => html`<option value=${v}>${label}</option>`)}
        </select>
      </div>
    </form>
    ${
      !page
        ? html`<${Loading} error=${error} />`
        : page.nodes.length === 0
          ? html`<p class="empty" role="status">No users match.</p>`
          : html`<${Table} caption="Users" columns=${['User name', 'Name', 'Email', 'Roles', 'State', 'Last sign-in']}>
              ${page.nodes.map(
                (u) => html`<tr data-id=${u.id}>
                  <td data-label="User name"><a href=${`#/users/${u.id}`}>${u.userName}</a></td>
                  <td data-label="Name">${u.displayName ?? '—'}</td>
                  <td data-label="Email" class="wrap">${u.email ?? '—'}</td>
                  <td data-label="Roles">${(u.roles ?? []).map(check.roleLabel).join(', ') || '—'}</td>
                  <td data-label="State">
                    <${Badge} status=${u.active ? 'ACTIVE' : 'REVOKED'}>${u.active ? 'Active' : 'Deactivated'}<//>
                  </td>
                  <td data-label="Last sign-in"><${Time} iso=${u.lastLoginAt} /></td>
                </tr>`,
              )}
            <//>`
    }
    ${
      page
        ? html`<${Pager}
            page=${page}
            busy=${loading}
            noun="users"
            onNext=${() => pages.next(page.pageInfo.endCursor)}
            onPrevious=${pages.previous}
          />`
        : null
    }
  <//>`;
}

export function CreateUser() {
  const form = useForm(
    { userName: '', displayName: '', email: '', password: '', roles: ['AUDITOR'] },
    {
      userName: check.userName,
      displayName: check.displayName,
      email: check.email,
      password: check.password,
      roles: check.someRole,
    },
  );
  const submit = (event) =>
    form.submit(event, async () => {
      const v = form.values;
      try {
        const created = await data.createUser({
          userName: v.userName.trim(),
          displayName: v.displayName.trim() || null,
          email: v.email.trim() || null,
          password: v.password,
          roles: v.roles,
        });
        go(`#/users/${created.id}`);
      } catch (error) {
        // A taken name is the user name's problem.
        if (error.code === 'CONFLICT') error.field = 'userName';
        throw error;
      }
    });
  return html`<${Page} title="Create user">
    <form class="card" onSubmit=${submit} novalidate>
      <${Field}
        form=${form}
        name="userName"
        label="User name"
        hint="3 to 100 letters, digits or . _ @ -; unique regardless of case."
        autocomplete="off"
        required
      />
      <${Field} form=${form} name="displayName" label="Name (optional)" autocomplete="off" />
      <${Field} form=${form} name="email" label="Email (optional)" type="email" autocomplete="off" />
      <${Field}
        form=${form}
        name="password"
        label="Password"
        type="password"
        hint="At least 12 characters, not a common password. Tell it to the user; they can change it."
        autocomplete="new-password"
        required
      />
      <${RoleChoice} form=${form} legend="Roles" roles=${check.ROLES} />
      <${FormError} form=${form} />
      <div class="buttons">
        <button type="submit" disabled=${form.busy}>Create user</button>
        <a class="button secondary" href="#/users">Cancel</a>
      </div>
    </form>
  <//>`;
}

function RolesForm({ user, onDone }) {
  const form = useForm({ roles: user.roles ?? [] }, { roles: check.someRole });
  const submit = (e) =>
    form.submit(e, async () => {
      await data.setUserRoles(user.id, form.values.roles);
      onDone(`Roles of ${user.userName} saved.`);
    });
  return html`<form class="card" onSubmit=${submit} novalidate aria-labelledby="roles-title">
    <h3 id="roles-title">Roles</h3>
    <p class="hint">A role added reaches the user at their next sign-in; a role removed ends their sessions at once and suspends their service accounts that carry it.</p>
    <${RoleChoice} form=${form} legend="Roles held" roles=${check.ROLES} />
    <${FormError} form=${form} />
    <div class="buttons"><button type="submit" disabled=${form.busy}>Save roles</button></div>
  </form>`;
}

function ActiveDialog({ user, onClose, onDone }) {
  const form = useForm({});
  const activate = !user.active;
  return html`<${Dialog} title=${activate ? `Activate ${user.userName}?` : `Deactivate ${user.userName}?`} onClose=${onClose}>
    <form
      onSubmit=${(e) =>
        form.submit(e, async () => {
          await data.setUserActive(user.id, activate);
          onDone(
            activate
              ? `${user.userName} may sign in again.`
              : `${user.userName} is deactivated: their sessions ended and their service accounts are suspended.`,
          );
        })}
    >
      <p>
        ${
          activate
            ? 'They may sign in again. Their old sessions stay ended and their suspended service accounts stay suspended until transferred.'
            : 'They can no longer sign in, every session of theirs ends, and their service accounts are suspended until transferred to another administrator.'
        }
      </p>
      <${FormError} form=${form} />
      <${DialogButtons} form=${form} label=${activate ? 'Activate' : 'Deactivate'} danger=${!activate} onClose=${onClose} />
    </form>
  <//>`;
}

function ResetDialog({ user, onClose, onDone }) {
  const form = useForm({ newPassword: '' }, { newPassword: check.password });
  const submit = (e) =>
    form.submit(e, async () => {
      await data.resetUserPassword(user.id, form.values.newPassword);
      onDone(`The password of ${user.userName} is reset and their sessions have ended.`);
    });
  return html`<${Dialog} title=${`Reset the password of ${user.userName}`} onClose=${onClose}>
    <form onSubmit=${submit} novalidate>
      <${Field}
        form=${form}
        name="newPassword"
        label="New password"
        type="password"
        hint="At least 12 characters, not a common password. Every session of theirs ends."
        autocomplete="new-password"
        required
      />
      <${FormError} form=${form} />
      <${DialogButtons} form=${form} label="Reset password" onClose=${onClose} />
    </form>
  <//>`;
}

export function UserDetail({ id, me }) {
  const { data: user, error, reload } = useLoad(() => data.user(id), [id]);
  const sessions = useLoad(() => data.userSessions(id), [id]);
  const [dialog, setDialog] = useState(null);
  const [notice, setNotice] = useState(null);
  if (!user) return html`<${Page} title="User"><${Loading} error=${error} /><//>`;
  const close = () => setDialog(null);
  const done = (text) => {
    setDialog(null);
    setNotice({ text });
    reload();
    sessions.reload();
  };
  const endOne = async (s) => {
    try {
      await data.revokeSession(s.id);
      done('The session has ended: its token is refused from now on.');
    } catch (e) {
      setNotice({ text: plain(e).text, error: true });
    }
  };
  const endAll = async () => {
    try {
      const n = await data.revokeUserSessions(user.id);
      done(`${n} session${n === 1 ? '' : 's'} ended.`);
    } catch (e) {
      setNotice({ text: plain(e).text, error: true });
    }
  };
  const self = user.userName === me.userName;
  return html`<${Page} title=${user.userName} actions=${html`<a class="button secondary" href="#/users">Back to the list</a>`}>
    <${Notice} notice=${notice} />
    <dl class="facts card">
      <div><dt>Name</dt><dd>${user.displayName ?? '—'}</dd></div>
      <div><dt>Email</dt><dd>${user.email ?? '—'}</dd></div>
      <div><dt>State</dt><dd><${Badge} status=${user.active ? 'ACTIVE' : 'REVOKED'}>${user.active ? 'Active' : 'Deactivated'}<//></dd></div>
      <div><dt>Created</dt><dd><${Time} iso=${user.createdAt} /></dd></div>
      <div><dt>Last sign-in</dt><dd><${Time} iso=${user.lastLoginAt} /></dd></div>
    </dl>
    <div class="buttons actions-row">
      <button type="button" class=${user.active ? 'danger' : ''} onClick=${() => setDialog('active')}>${user.active ? 'Deactivate' : 'Activate'}</button>
      <button type="button" class="secondary" onClick=${() => setDialog('reset')}>Reset password</button>
      <a class="button secondary" href=${`#/audit?actor=${encodeURIComponent(user.userName)}`}>Their audit events</a>
    </div>
    <${RolesForm} user=${user} key=${(user.roles ?? []).join()} onDone=${done} />
    <h3>Sessions</h3>
    ${
      sessions.data
        ? html`<${SessionsTable} sessions=${sessions.data} caption=${`Sessions of ${user.userName}`} onEnd=${endOne} />
            ${sessions.data.length > 0 && !self ? html`<div class="buttons"><button type="button" class="danger" onClick=${endAll}>End all their sessions</button></div>` : null}`
        : html`<${Loading} error=${sessions.error} />`
    }
    ${dialog === 'active' ? html`<${ActiveDialog} user=${user} onClose=${close} onDone=${done} />` : null}
    ${dialog === 'reset' ? html`<${ResetDialog} user=${user} onClose=${close} onDone=${done} />` : null}
  <//>`;
}
