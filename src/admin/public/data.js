// Every GraphQL document the console sends, and the one place that knows the API's shape.
// Screens call these functions only. The three lists answer pages shaped like Relay
// connections ({ nodes, pageInfo: { hasNextPage, endCursor }, totalCount }) with the
// connections' arguments; until `serviceAccountsConnection`, `usersConnection` and
// `auditEventsConnection` exist, the first two page the old full lists here, in the browser.

import { ApiError, graphql } from './api.js';

export const PAGE_SIZE = 25;

const viewerFields = 'userName roles kind grantableRoles serviceAccountMaxDays';
const accountFields = `id tokenId purpose roles status suspendedReason suspendedAt createdAt expiresAt expiresInDays
  lastUsedAt lastClientAddress useCount createdBy { id userName } revokedAt revokedBy { userName }
  rotatedFrom { id purpose } rotatedTo { id purpose status }`;
const userFields = 'id userName displayName email active roles createdAt lastLoginAt';
const sessionFields = 'id createdAt lastSeenAt expiresAt clientAddress userAgent current';
const auditFields = 'id at action actorType actorLabel targetType targetId clientAddress details';

// Sign-in and the caller.

export async function login(userName, password) {
  const data = await graphql(
    'mutation Login($userName: String!, $password: String!) { login(userName: $userName, password: $password) { token } }',
    { userName, password },
  );
  return data.login.token;
}
export async function logout() {
  await graphql('mutation Logout { logout }');
}
export async function viewer() {
  return (await graphql(`query Viewer { me { ${viewerFields} } }`)).me;
}

// Paging a whole list in the browser, with the connections' arguments and answer.

const compare = (a, b) => (a == null ? (b == null ? 0 : 1) : b == null ? -1 : a < b ? -1 : a > b ? 1 : 0);
function pageOf(all, { first = PAGE_SIZE, after = null, orderBy, keyOf }) {
  const sorted = orderBy
    ? [...all].sort((x, y) => {
        const c = compare(keyOf(x, orderBy.field), keyOf(y, orderBy.field));
        // Missing values (never used, never signed in) go last either way.
        const missing = keyOf(x, orderBy.field) == null || keyOf(y, orderBy.field) == null;
        return (orderBy.direction === 'DESC' && !missing ? -c : c) || compare(x.id, y.id);
      })
    : all;
  const start = after ? Number(atob(after)) : 0;
  const nodes = sorted.slice(start, start + first);
  const end = start + nodes.length;
  return {
    nodes,
    pageInfo: { hasNextPage: end < sorted.length, endCursor: nodes.length ? btoa(String(end)) : after },
    totalCount: sorted.length,
  };
}
const contains = (text, search) => (text ?? '').toLowerCase().includes(search.trim().toLowerCase());

// Service accounts.

const accountKey = (a, field) =>
  ({ CREATED_AT: a.createdAt, EXPIRES_AT: a.expiresAt, NAME: a.purpose.toLowerCase(), LAST_USED_AT: a.lastUsedAt })[
    field
  ];

/** filter: { status, search, createdBy, role }; orderBy: { field: CREATED_AT|EXPIRES_AT|NAME|LAST_USED_AT, direction }. */
export async function serviceAccountsPage({ first, after, filter = {}, orderBy }) {
  const data = await graphql(
    `query ServiceAccounts($filter: ServiceAccountFilter) { serviceAccounts(filter: $filter) { ${accountFields} } }`,
    { filter: filter.status ? { status: filter.status } : null },
  );
  const all = data.serviceAccounts.filter(
    (a) =>
      (!filter.search || contains(a.purpose, filter.search) || contains(a.tokenId, filter.search)) &&
      (!filter.createdBy || contains(a.createdBy.userName, filter.createdBy)) &&
      (!filter.role || a.roles.includes(filter.role)),
  );
  return pageOf(all, { first, after, orderBy, keyOf: accountKey });
}

export async function serviceAccount(id) {
  const data = await graphql(`query ServiceAccount($id: ID!) { serviceAccount(id: $id) { ${accountFields} } }`, {
    id,
  });
  return data.serviceAccount;
}

export async function createServiceAccount(input) {
  const data = await graphql(
    `mutation CreateServiceAccount($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { token serviceAccount { id purpose expiresAt } } }`,
    { input },
  );
  return data.createServiceAccount;
}
export async function rotateServiceAccount(id, durationDays) {
  const data = await graphql(
    'mutation RotateServiceAccount($id: ID!, $durationDays: Int!) { rotateServiceAccount(id: $id, durationDays: $durationDays) { token serviceAccount { id purpose expiresAt } } }',
    { id, durationDays },
  );
  return data.rotateServiceAccount;
}
export async function revokeServiceAccount(id) {
  await graphql('mutation RevokeServiceAccount($id: ID!) { revokeServiceAccount(id: $id) { id } }', { id });
}
export async function transferServiceAccount(id, toUserId) {
  await graphql(
    'mutation TransferServiceAccount($id: ID!, $toUserId: ID!) { transferServiceAccount(id: $id, toUserId: $toUserId) { id } }',
    { id, toUserId },
  );
}

// Users.

const userKey = (u, field) =>
  ({ USER_NAME: u.userName.toLowerCase(), CREATED_AT: u.createdAt, LAST_LOGIN_AT: u.lastLoginAt })[field];

/** filter: { search, role, active }; orderBy: { field: USER_NAME|CREATED_AT|LAST_LOGIN_AT, direction }. */
export async function usersPage({ first, after, filter = {}, orderBy }) {
  const data = await graphql(`query Users { users { ${userFields} } }`);
  const all = data.users.filter(
    (u) =>
      (!filter.search ||
        contains(u.userName, filter.search) ||
        contains(u.displayName, filter.search) ||
        contains(u.email, filter.search)) &&
      (!filter.role || u.roles?.includes(filter.role)) &&
      (filter.active == null || u.active === filter.active),
  );
  return pageOf(all, { first, after, orderBy, keyOf: userKey });
}

export async function user(id) {
  const data = await graphql(`query User($id: ID!) { user(id: $id) { ${userFields} } }`, { id });
  if (!data.user) throw new ApiError('There is no such user', 'NOT_FOUND');
  return data.user;
}
export async function createUser(input) {
  const data = await graphql(`mutation CreateUser($input: CreateUserInput!) { createUser(input: $input) { id } }`, {
    input,
  });
  return data.createUser;
}
export async function setUserRoles(userId, roles) {
  await graphql(
    'mutation SetUserRoles($userId: ID!, $roles: [Role!]!) { setUserRoles(userId: $userId, roles: $roles) { id } }',
    {
      userId,
      roles,
    },
  );
}
export async function setUserActive(id, active) {
  await graphql(
    active
      ? 'mutation ActivateUser($id: ID!) { activateUser(id: $id) { id } }'
      : 'mutation DeactivateUser($id: ID!) { deactivateUser(id: $id) { id } }',
    { id },
  );
}
export async function resetUserPassword(id, newPassword) {
  await graphql(
    'mutation ResetUserPassword($id: ID!, $newPassword: String!) { resetUserPassword(id: $id, newPassword: $newPassword) { id } }',
    { id, newPassword },
  );
}

/** Active administrators: who may take over a service account. */
export async function administrators() {
  const data = await graphql('query Administrators { users { id userName active roles } }');
  return data.users.filter((u) => u.active && u.roles?.includes('ADMINISTRATOR'));
}

// Sessions.

export async function ownSessions() {
  return (await graphql(`query Sessions { sessions { ${sessionFields} } }`)).sessions;
}
export async function userSessions(userId) {
  const data = await graphql(
    `query UserSessions($userId: ID!) { userSessions(userId: $userId) { ${sessionFields} } }`,
    {
      userId,
    },
  );
  return data.userSessions;
}
export async function revokeSession(id) {
  await graphql('mutation RevokeSession($id: ID!) { revokeSession(id: $id) { id } }', { id });
}
export async function revokeUserSessions(userId) {
  const data = await graphql('mutation RevokeUserSessions($userId: ID!) { revokeUserSessions(userId: $userId) }', {
    userId,
  });
  return data.revokeUserSessions;
}
export async function changePassword(currentPassword, newPassword) {
  await graphql(
    'mutation ChangePassword($currentPassword: String!, $newPassword: String!) { changePassword(currentPassword: $currentPassword, newPassword: $newPassword) }',
    { currentPassword, newPassword },
  );
}

// Audit.

/** filter: { actor, action, since, until, serviceAccountId }: a page of events, newest first. */
export async function auditEventsPage({ first = PAGE_SIZE, after, filter = {} }) {
  const clean = Object.fromEntries(Object.entries(filter).filter(([, v]) => v != null && v !== ''));
  const data = await graphql(
    `query AuditEvents($first: Int, $after: String, $filter: AuditEventFilter) { auditEvents(first: $first, after: $after, filter: $filter) { nodes { ${auditFields} } hasNextPage endCursor } }`,
    { first, after: after ?? null, filter: clean },
  );
  const page = data.auditEvents;
  return {
    nodes: page.nodes,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
    totalCount: null,
  };
}

/** Where the REST export of the audit trail is, for these bounds (`since` is required there). */
export function auditExportPath({ since, until }) {
  const params = new URLSearchParams({ since });
  if (until) params.set('until', until);
  return `/api/audit/export?${params}`;
}
