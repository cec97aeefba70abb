// The one place that knows the API's shape: screens call these functions only. Each sends one
// of the console's named operations (src/admin/operations/*.graphql, by name through api.js),
// so every request is a trusted document. The three lists are the API's connections: search,
// filters, ordering and paging happen on the server, a page at a time.

import { ApiError, graphql } from './api.js';

export const PAGE_SIZE = 25;

/** The connections' page, as the screens read it: { nodes, pageInfo, totalCount }. */
const pageOf = (connection) => ({
  nodes: connection.nodes,
  pageInfo: connection.pageInfo,
  totalCount: connection.totalCount ?? null,
});

/** Text for a connection's `search` (1 to 200 characters), or null for none. */
const searchText = (text) => (text?.trim() ? text.trim() : null);

/** Only the conditions that are set: the filters take null, never empty text, as "any". */
const set = (filter) => Object.fromEntries(Object.entries(filter).filter(([, v]) => v != null && v !== ''));

// Sign-in and the caller.

export async function login(userName, password) {
  return (await graphql('ConsoleSignIn', { userName, password })).login.token;
}
export async function logout() {
  await graphql('ConsoleSignOut');
}
export async function viewer() {
  return (await graphql('ConsoleMe')).me;
}
export async function changePassword(currentPassword, newPassword) {
  await graphql('ConsoleChangePassword', { currentPassword, newPassword });
}

// Service accounts.

/**
 * The user the Owner filter means: the user of exactly that name (any case), else the one user
 * whose name holds the text. Answers { id } or { candidates } (none, or several to choose from).
 */
async function ownerOf(text) {
  const { nodes } = (await graphql('ConsoleUserNames', { first: 20, search: text })).usersConnection;
  const exact = nodes.find((u) => u.userName.toLowerCase() === text.toLowerCase());
  if (exact) return { id: exact.id };
  if (nodes.length === 1) return { id: nodes[0].id };
  return { candidates: nodes.map((u) => u.userName) };
}

const emptyPage = (extra = {}) => ({
  nodes: [],
  pageInfo: { hasNextPage: false, endCursor: null },
  totalCount: 0,
  ...extra,
});

/**
 * A page of service accounts. filter: { search (purpose, or a whole token id), status, role,
 * createdBy (a user name) }; orderBy: { field: CREATED_AT|EXPIRES_AT|NAME|LAST_USED_AT, direction }.
 * When the owner's name matches several users and none exactly, the page is empty and says
 * which (`ownerCandidates`).
 */
export async function serviceAccountsPage({ first = PAGE_SIZE, after = null, filter = {}, orderBy }) {
  const where = set({ status: filter.status, role: filter.role });
  const owner = searchText(filter.createdBy);
  if (owner) {
    const found = await ownerOf(owner);
    if (!found.id) return emptyPage({ ownerCandidates: found.candidates });
    where.createdBy = found.id;
  }
  // The server finds a whole token id as well as text in the purpose.
  const search = searchText(filter.search);
  if (search) where.search = search;
  const data = await graphql('ConsoleServiceAccounts', {
    first,
    after,
    filter: where,
    // Always with its direction: the API's default direction is ASC.
    orderBy: { field: orderBy?.field ?? 'CREATED_AT', direction: orderBy?.direction ?? 'DESC' },
  });
  return pageOf(data.serviceAccountsConnection);
}

export async function serviceAccount(id) {
  return (await graphql('ConsoleServiceAccount', { id })).serviceAccount;
}
export async function createServiceAccount(input) {
  return (await graphql('ConsoleCreateServiceAccount', { input })).createServiceAccount;
}
export async function rotateServiceAccount(id, durationDays) {
  return (await graphql('ConsoleRotateServiceAccount', { id, durationDays })).rotateServiceAccount;
}
export async function revokeServiceAccount(id) {
  await graphql('ConsoleRevokeServiceAccount', { id });
}
export async function transferServiceAccount(id, toUserId) {
  await graphql('ConsoleTransferServiceAccount', { id, toUserId });
}

// Users.

/** A page of users. filter: { search, role, active }; orderBy: { field: USER_NAME|CREATED_AT|LAST_LOGIN_AT, direction }. */
export async function usersPage({ first = PAGE_SIZE, after = null, filter = {}, orderBy }) {
  const data = await graphql('ConsoleUsers', {
    first,
    after,
    filter: set({ search: searchText(filter.search), role: filter.role, active: filter.active }),
    orderBy: { field: orderBy?.field ?? 'USER_NAME', direction: orderBy?.direction ?? 'ASC' },
  });
  return pageOf(data.usersConnection);
}

export async function user(id) {
  const data = await graphql('ConsoleUser', { id });
  if (!data.user) throw new ApiError('There is no such user', 'NOT_FOUND');
  return data.user;
}
export async function createUser(input) {
  return (await graphql('ConsoleCreateUser', { input })).createUser;
}
export async function setUserRoles(userId, roles) {
  await graphql('ConsoleSetUserRoles', { userId, roles });
}
export async function setUserActive(id, active) {
  await graphql(active ? 'ConsoleActivateUser' : 'ConsoleDeactivateUser', { id });
}
export async function resetUserPassword(id, newPassword) {
  await graphql('ConsoleResetUserPassword', { id, newPassword });
}

/** Active administrators, every page of them: who may take over a service account. */
export async function administrators() {
  const all = [];
  let after = null;
  for (;;) {
    const { nodes, pageInfo } = (await graphql('ConsoleAdministrators', { first: 100, after })).usersConnection;
    all.push(...nodes);
    if (!pageInfo.hasNextPage) return all;
    after = pageInfo.endCursor;
  }
}

// Sessions.

export async function ownSessions() {
  return (await graphql('ConsoleSessions')).sessions;
}
export async function userSessions(userId) {
  return (await graphql('ConsoleUserSessions', { userId })).userSessions;
}
export async function revokeSession(id) {
  await graphql('ConsoleRevokeSession', { id });
}
export async function revokeUserSessions(userId) {
  return (await graphql('ConsoleRevokeUserSessions', { userId })).revokeUserSessions;
}

// Audit.

/**
 * A page of events, newest first. filter: { actor, action, since, until, serviceAccountId,
 * targetType, targetId }. No totalCount: the trail is unbounded.
 */
export async function auditEventsPage({ first = PAGE_SIZE, after = null, filter = {} }) {
  const data = await graphql('ConsoleAuditEvents', { first, after, filter: set(filter) });
  return pageOf(data.auditEventsConnection);
}

/** Where the REST export of the audit trail is, for these bounds (`since` is required there). */
export function auditExportPath({ since, until }) {
  const params = new URLSearchParams({ since });
  if (until) params.set('until', until);
  return `/api/audit/export?${params}`;
}
