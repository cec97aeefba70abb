import { authorize, grantableRoles, maySeePersonalData } from '../access/policy.ts';
import type { Principal } from '../access/principal.ts';
import type { RequestContext } from '../context.ts';
import { adminPageLimits } from '../db/keyset.ts';
import { Role } from '../db/types.ts';
import * as authority from '../users/authority.ts';
import { usersConnection } from '../users/list.ts';
import * as users from '../users/service.ts';
import { builder, RoleEnum } from './builder.ts';
import { connectionOf, nodesQuery, OrderDirectionEnum } from './pagination.ts';

const privateNote = 'Personal data: null unless the caller is an administrator or this user.';
/** Whether the caller may see this user's personal data (the rule is the access policy's). */
const mine = (user: { id: string }, ctx: RequestContext) =>
  ctx.signedInUserId === user.id || maySeePersonalData(ctx.principal, user.id);

export const UserType = builder.prismaObject('User', {
  description: 'A person who signs in. Their roles reach their token at their next login.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier (UUID).' }),
    userName: t.exposeString('userName', { description: 'Login name, unique regardless of case.' }),
    email: t.string({
      nullable: true,
      description: `Contact address. ${privateNote}`,
      resolve: (user, _args, ctx) => (mine(user, ctx) ? user.email : null),
    }),
    displayName: t.exposeString('displayName', { nullable: true, description: 'Name shown to people.' }),
    active: t.boolean({
      nullable: true,
      description: `Whether the user may sign in. ${privateNote}`,
      resolve: (user, _args, ctx) => (mine(user, ctx) ? user.active : null),
    }),
    roles: t.field({
      type: [RoleEnum],
      nullable: true,
      description: `Roles held now: a role added reaches the user's token at their next login, a role removed ends their sessions at once. ${privateNote}`,
      select: { roles: { select: { role: true } } },
      resolve: (user, _args, ctx) => (mine(user, ctx) ? user.roles.map((r) => r.role).sort() : null),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the user was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When the user was last changed.' }),
    lastLoginAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: `When the user last signed in successfully. ${privateNote}`,
      resolve: (user, _args, ctx) => (mine(user, ctx) ? user.lastLoginAt : null),
    }),
  }),
});

const PrincipalKindEnum = builder.enumType('PrincipalKind', {
  description: 'What kind of credential made the request.',
  values: {
    USER: { value: 'user', description: 'A user session token from login.' },
    SERVICE_ACCOUNT: { value: 'serviceAccount', description: 'A service-account token.' },
  } as const,
});

/** The caller as `me` answers it: its principal, with the roles as a sorted list, each field ready to read (no resolver to run). */
type Viewer = Omit<Principal, 'roles'> & { roles: readonly Role[]; principal: Principal };

/** Viewers by principal: a cached token's principal is one object (`principalFor`), so `me` makes one viewer per token. */
const viewers = new WeakMap<Principal, Viewer>();

function viewerOf(principal: Principal): Viewer {
  let viewer = viewers.get(principal);
  if (viewer === undefined) {
    viewer = Object.freeze({ ...principal, roles: Object.freeze([...principal.roles].sort()), principal });
    viewers.set(principal, viewer);
  }
  return viewer;
}

const ViewerType = builder.objectRef<Viewer>('Viewer').implement({
  description: 'The caller, as its token describes it.',
  fields: (t) => ({
    kind: t.expose('kind', { type: PrincipalKindEnum, description: 'User session or service account.' }),
    userName: t.exposeString('userName', { description: 'The user name (for a service account: its creator).' }),
    roles: t.expose('roles', { type: [RoleEnum], description: 'Roles the token carries.' }),
    tokenExpiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When the token stops working.' }),
    serviceAccountId: t.exposeInt('serviceAccountId', {
      nullable: true,
      description: 'The service account, for its tokens.',
    }),
    grantableRoles: t.field({
      type: [RoleEnum],
      description: 'Roles the caller may put on a service-account token: AUDITOR and those it holds.',
      resolve: (viewer) => grantableRoles(viewer.principal).sort(),
    }),
    serviceAccountMaxDays: t.int({
      description: 'The longest a new or rotated service-account token may last, in days (SERVICE_ACCOUNT_MAX_DAYS).',
      resolve: (_viewer, _args, { config }) => config.serviceAccounts.maxDays,
    }),
  }),
});

const manageUsers = { can: 'manageUsers' } as const;

const UserConnection = connectionOf(UserType, 'User', { plural: 'users', counted: true });

const UserConnectionFilter = builder.inputType('UserConnectionFilter', {
  description: 'Which users to list; all conditions must hold.',
  fields: (t) => ({
    search: t.string({
      description:
        'Text found in the user name, display name or (for callers who may see personal data) email, ignoring case; `%` and `_` are plain characters (1 to 200 characters).',
    }),
    role: t.field({
      type: RoleEnum,
      description: 'Holding this role (personal data: FORBIDDEN to those who may not see it).',
    }),
    active: t.boolean({ description: 'Active or not (personal data: FORBIDDEN to those who may not see it).' }),
  }),
});

const UserOrderFieldEnum = builder.enumType('UserOrderField', {
  description: 'What to order users by; ties are broken by id.',
  values: {
    USER_NAME: { description: 'User name, ignoring case.' },
    CREATED_AT: { description: 'Creation time.' },
    LAST_LOGIN_AT: { description: 'Last login; users who never signed in come last in either direction.' },
  } as const,
});

const UserOrder = builder.inputType('UserOrder', {
  description: 'How to order users.',
  fields: (t) => ({
    field: t.field({ type: UserOrderFieldEnum, required: true, description: 'The field to order by.' }),
    direction: t.field({ type: OrderDirectionEnum, defaultValue: 'ASC', description: 'The direction.' }),
  }),
});

builder.queryFields((t) => ({
  me: t.field({
    type: ViewerType,
    description: 'The caller: kind, roles and token expiry. Answered from the token alone.',
    // The policy's `signedIn` asked here rather than through a scope: `me` is the cheapest
    // authenticated request there is, and scope-auth's cache of a request (five maps and a
    // WeakMap entry) would be a fifth of its own cost.
    resolve: (_root, _args, { principal }) => viewerOf(authorize(principal, 'signedIn')),
  }),
  usersConnection: t.field({
    type: UserConnection,
    description: `Users, a page at a time (Relay cursor connection): \`first\` (0 to ${adminPageLimits.maxSize}, default ${adminPageLimits.defaultSize}) after the cursor \`after\`; default by user name. A cursor works only with the ordering it came from (BAD_USER_INPUT otherwise). Signed-in administrators only.`,
    authScopes: manageUsers,
    args: {
      first: t.arg.int({
        description: `How many (0 to ${adminPageLimits.maxSize}, default ${adminPageLimits.defaultSize}).`,
      }),
      after: t.arg.string({ description: 'Cursor to start after (an edge’s cursor or pageInfo.endCursor).' }),
      filter: t.arg({ type: UserConnectionFilter, description: 'Which users.' }),
      orderBy: t.arg({ type: UserOrder, description: 'Order; default USER_NAME ASC.' }),
    },
    resolve: (_root, args, ctx, info) => usersConnection(ctx, args, nodesQuery(ctx, info, 'User')),
  }),
  users: t.prismaField({
    type: ['User'],
    description: 'Every user, oldest first. Signed-in administrators only.',
    deprecationReason: 'Use usersConnection; removed in the next release.',
    authScopes: manageUsers,
    resolve: (query, _root, _args, ctx) => users.listUsers(ctx, query),
  }),
  user: t.prismaField({
    type: 'User',
    nullable: true,
    description: 'One user by id, or null. Signed-in administrators only.',
    authScopes: manageUsers,
    args: { id: t.arg.id({ required: true, description: 'The user id.' }) },
    resolve: (query, _root, { id }, ctx) => users.getUser(ctx, id, query),
  }),
}));

const CreateUserInput = builder.inputType('CreateUserInput', {
  description: 'A new user.',
  fields: (t) => ({
    userName: t.string({
      required: true,
      description: '3 to 100 letters, digits or . _ @ -; unique regardless of case.',
    }),
    password: t.string({ required: true, description: 'At least 12 characters, not a common password.' }),
    email: t.string({ description: 'Contact address.' }),
    displayName: t.string({ description: 'Name shown to people.' }),
    roles: t.field({ type: [RoleEnum], description: `Roles to grant; default ${Role.AUDITOR}.` }),
  }),
});

const UpdateUserInput = builder.inputType('UpdateUserInput', {
  description: 'Changes to a user; omitted fields stay as they are.',
  fields: (t) => ({
    email: t.string({ description: 'Contact address; null clears it.' }),
    displayName: t.string({ description: 'Name shown to people; null clears it.' }),
  }),
});

builder.mutationFields((t) => ({
  createUser: t.prismaField({
    type: 'User',
    description: 'Creates a user. Administrators only.',
    authScopes: manageUsers,
    args: { input: t.arg({ type: CreateUserInput, required: true, description: 'The new user.' }) },
    resolve: (query, _root, { input }, ctx) => users.createUser(ctx, input, query),
  }),
  updateUser: t.prismaField({
    type: 'User',
    description: 'Changes a user’s contact details. Administrators only.',
    authScopes: manageUsers,
    args: {
      id: t.arg.id({ required: true, description: 'The user id.' }),
      input: t.arg({ type: UpdateUserInput, required: true, description: 'The changes.' }),
    },
    resolve: (query, _root, { id, input }, ctx) => users.updateUser(ctx, id, input, query),
  }),
  setUserRoles: t.prismaField({
    type: 'User',
    description:
      'Replaces a user’s roles. Roles added reach the user’s token at their next login; a role removed ends their sessions at once and suspends their service accounts that carry it. The last active administrator keeps the role. Administrators only.',
    authScopes: manageUsers,
    args: {
      userId: t.arg.id({ required: true, description: 'The user id.' }),
      roles: t.arg({ type: [RoleEnum], required: true, description: 'The complete new set of roles.' }),
    },
    resolve: (query, _root, args, ctx) => authority.setUserRoles(ctx, args.userId, args.roles, query),
  }),
  deactivateUser: t.prismaField({
    type: 'User',
    description:
      'Stops a user from signing in: every token issued to them so far is refused for good (reactivation revives none), and their service accounts are suspended. The last active administrator cannot be deactivated. Administrators only.',
    authScopes: manageUsers,
    args: { id: t.arg.id({ required: true, description: 'The user id.' }) },
    resolve: (query, _root, { id }, ctx) => authority.deactivateUser(ctx, id, query),
  }),
  activateUser: t.prismaField({
    type: 'User',
    description: 'Lets a deactivated user sign in again; their old tokens stay refused. Administrators only.',
    authScopes: manageUsers,
    args: { id: t.arg.id({ required: true, description: 'The user id.' }) },
    resolve: (query, _root, { id }, ctx) => users.activateUser(ctx, id, query),
  }),
  resetUserPassword: t.prismaField({
    type: 'User',
    description: 'Sets a new password for a user and ends all their sessions for good. Administrators only.',
    authScopes: manageUsers,
    args: {
      id: t.arg.id({ required: true, description: 'The user id.' }),
      newPassword: t.arg.string({ required: true, description: 'At least 12 characters, not a common password.' }),
    },
    resolve: (query, _root, { id, newPassword }, ctx) => authority.resetUserPassword(ctx, id, newPassword, query),
  }),
}));
