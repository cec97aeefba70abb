import { queryFromInfo } from '@pothos/plugin-prisma';
import type { GraphQLResolveInfo } from 'graphql';
import type { RequestContext } from '../context.ts';
import { adminPageLimits } from '../db/keyset.ts';
import { serviceAccountsConnection } from '../service-accounts/list.ts';
import * as accounts from '../service-accounts/service.ts';
import { statusOf } from '../service-accounts/status.ts';
import { transferServiceAccount } from '../service-accounts/suspension.ts';
import { builder, RoleEnum } from './builder.ts';
import { connectionOf, nodesQuery, OrderDirectionEnum } from './pagination.ts';

const manageServiceAccounts = { can: 'manageServiceAccounts' } as const;

const ServiceAccountStatusEnum = builder.enumType('ServiceAccountStatus', {
  description: 'Whether a service-account token works.',
  values: {
    ACTIVE: { description: 'The token works (EXPIRING_SOON ones included when filtering).' },
    EXPIRING_SOON: { description: 'The token works but expires within SERVICE_ACCOUNT_EXPIRING_SOON_DAYS.' },
    EXPIRED: { description: 'The token has expired.' },
    REVOKED: { description: 'An administrator revoked the token.' },
    SUSPENDED: {
      description:
        'The token is refused: its creator was deactivated or lost a role it carries. Transfer it to make it work again.',
    },
  } as const,
});

const ServiceAccountType = builder.prismaObject('ServiceAccount', {
  description: 'A long-running token for a script or external software, told apart by its purpose.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Numeric identifier.' }),
    tokenId: t.exposeString('jti', { description: 'The token’s `jti`: how logs and audit events name it.' }),
    purpose: t.exposeString('purpose', { description: 'What the token is for, kept for auditing.' }),
    roles: t.field({
      type: [RoleEnum],
      description: 'Roles the token carries.',
      select: { roles: { select: { role: true } } },
      resolve: (account) => account.roles.map((r) => r.role).sort(),
    }),
    status: t.field({
      type: ServiceAccountStatusEnum,
      description: 'ACTIVE, EXPIRING_SOON, EXPIRED, REVOKED or SUSPENDED, now.',
      select: { revokedAt: true, expiresAt: true, suspendedAt: true },
      resolve: (account, _args, ctx) => statusOf(account, ctx.auth.now(), ctx.config.serviceAccounts.expiringSoonDays),
    }),
    createdBy: t.relation('createdBy', {
      description: 'The administrator it belongs to: who created it, or to whom it was transferred.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When the token stops working.' }),
    expiresInDays: t.int({
      description: 'Whole days until expiry (0 when expired or due today).',
      select: { expiresAt: true },
      resolve: (account, _args, ctx) =>
        Math.max(0, Math.floor((account.expiresAt.getTime() - ctx.auth.now().getTime()) / 86_400_000)),
    }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true, description: 'When it was revoked.' }),
    suspendedAt: t.expose('suspendedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was suspended (null unless SUSPENDED).',
    }),
    suspendedReason: t.exposeString('suspendedReason', {
      nullable: true,
      description: 'Why: `creator_deactivated` or `creator_role_removed` (null unless SUSPENDED).',
    }),
    revokedBy: t.relation('revokedBy', { nullable: true, description: 'Who revoked it.' }),
    lastUsedAt: t.expose('lastUsedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Last use (written every few seconds).',
    }),
    lastClientAddress: t.exposeString('lastClientIp', { nullable: true, description: 'Address of the last use.' }),
    useCount: t.exposeInt('useCount', { description: 'Requests made with the token (written every few seconds).' }),
    rotatedFrom: t.relation('rotatedFrom', { nullable: true, description: 'The account this one replaced.' }),
    rotatedTo: t.relation('rotatedTo', { nullable: true, description: 'The account that replaced this one.' }),
  }),
});

const CreateServiceAccountPayload = builder
  .objectRef<{ token: string; serviceAccount: object }>('CreateServiceAccountPayload')
  .implement({
    description: 'A new token. It is shown this once: copy it now.',
    fields: (t) => ({
      token: t.exposeString('token', {
        description: 'Send as `Authorization: Bearer <token>`. It cannot be read again.',
      }),
      serviceAccount: t.prismaField({
        type: 'ServiceAccount',
        description: 'The account the token belongs to.',
        // Read by the mutation with the selection below this field (`accountQuery`).
        resolve: (_query, payload) => payload.serviceAccount as never,
      }),
    }),
  });

/** The selection below a payload's `serviceAccount`, so the account is read with its creation. */
const accountQuery = (context: RequestContext, info: GraphQLResolveInfo) =>
  queryFromInfo({ context, info, typeName: 'ServiceAccount', path: ['serviceAccount'] });

const CreateServiceAccountInput = builder.inputType('CreateServiceAccountInput', {
  description: 'A new service account.',
  fields: (t) => ({
    durationDays: t.int({
      required: true,
      description: 'Days until the token expires: 1 to SERVICE_ACCOUNT_MAX_DAYS.',
    }),
    purpose: t.string({ required: true, description: 'What the token is for: 3 to 500 characters.' }),
    roles: t.field({
      type: [RoleEnum],
      description: 'Roles to grant (default AUDITOR); never beyond your own.',
    }),
  }),
});

const ServiceAccountFilter = builder.inputType('ServiceAccountFilter', {
  description: 'Which service accounts to list.',
  fields: (t) => ({
    status: t.field({ type: ServiceAccountStatusEnum, description: 'Only accounts in this status.' }),
  }),
});

const ServiceAccountConnection = connectionOf(ServiceAccountType, 'ServiceAccount', {
  plural: 'service accounts',
  counted: true,
});

const ServiceAccountConnectionFilter = builder.inputType('ServiceAccountConnectionFilter', {
  description: 'Which service accounts to list; all conditions must hold.',
  fields: (t) => ({
    status: t.field({ type: ServiceAccountStatusEnum, description: 'Only accounts in this status, now.' }),
    search: t.string({
      description:
        'Text found in the purpose, ignoring case; `%` and `_` are plain characters (1 to 200 characters). A whole token id (`tokenId`) also finds its account.',
    }),
    createdBy: t.id({ description: 'Belonging to this user (who created it, or to whom it was transferred).' }),
    role: t.field({ type: RoleEnum, description: 'Carrying this role.' }),
  }),
});

const ServiceAccountOrderFieldEnum = builder.enumType('ServiceAccountOrderField', {
  description: 'What to order service accounts by; ties are broken by id.',
  values: {
    CREATED_AT: { description: 'Creation time.' },
    EXPIRES_AT: { description: 'Expiry time.' },
    NAME: { description: 'The purpose (an account’s name), in the database’s text order.' },
    LAST_USED_AT: { description: 'Last use; accounts never used come last in either direction.' },
  } as const,
});

const ServiceAccountOrder = builder.inputType('ServiceAccountOrder', {
  description: 'How to order service accounts.',
  fields: (t) => ({
    field: t.field({ type: ServiceAccountOrderFieldEnum, required: true, description: 'The field to order by.' }),
    direction: t.field({ type: OrderDirectionEnum, defaultValue: 'ASC', description: 'The direction.' }),
  }),
});

builder.queryFields((t) => ({
  serviceAccountsConnection: t.field({
    type: ServiceAccountConnection,
    description: `Service accounts, a page at a time (Relay cursor connection): \`first\` (0 to ${adminPageLimits.maxSize}, default ${adminPageLimits.defaultSize}) after the cursor \`after\`; default newest first. A cursor works only with the ordering it came from (BAD_USER_INPUT otherwise). Signed-in administrators only.`,
    authScopes: manageServiceAccounts,
    args: {
      first: t.arg.int({
        description: `How many (0 to ${adminPageLimits.maxSize}, default ${adminPageLimits.defaultSize}).`,
      }),
      after: t.arg.string({ description: 'Cursor to start after (an edge’s cursor or pageInfo.endCursor).' }),
      filter: t.arg({ type: ServiceAccountConnectionFilter, description: 'Which accounts.' }),
      orderBy: t.arg({ type: ServiceAccountOrder, description: 'Order; default CREATED_AT DESC.' }),
    },
    resolve: (_root, args, ctx, info) => serviceAccountsConnection(ctx, args, nodesQuery(ctx, info, 'ServiceAccount')),
  }),
  serviceAccounts: t.prismaField({
    type: ['ServiceAccount'],
    description: 'Service accounts, newest first. Signed-in administrators only.',
    deprecationReason: 'Use serviceAccountsConnection; removed in the next release.',
    authScopes: manageServiceAccounts,
    args: { filter: t.arg({ type: ServiceAccountFilter, description: 'Which accounts.' }) },
    resolve: (query, _root, { filter }, ctx) => accounts.listServiceAccounts(ctx, filter, query),
  }),
  serviceAccount: t.prismaField({
    type: 'ServiceAccount',
    description: 'One service account. NOT_FOUND when there is none. Signed-in administrators only.',
    authScopes: manageServiceAccounts,
    args: { id: t.arg.id({ required: true, description: 'The service-account id.' }) },
    resolve: (query, _root, { id }, ctx) => accounts.getServiceAccount(ctx, id, query),
  }),
}));

builder.mutationFields((t) => ({
  createServiceAccount: t.field({
    type: CreateServiceAccountPayload,
    description: 'Creates a service account and answers its token, shown this once. Signed-in administrators only.',
    authScopes: manageServiceAccounts,
    args: { input: t.arg({ type: CreateServiceAccountInput, required: true, description: 'The new account.' }) },
    resolve: (_root, { input }, ctx, info) => accounts.createServiceAccount(ctx, input, accountQuery(ctx, info)),
  }),
  revokeServiceAccount: t.prismaField({
    type: 'ServiceAccount',
    description: 'Revokes a token: refused at once on this server, within a second on every other.',
    authScopes: manageServiceAccounts,
    args: { id: t.arg.id({ required: true, description: 'The service-account id.' }) },
    resolve: (query, _root, { id }, ctx) => accounts.revokeServiceAccount(ctx, id, query),
  }),
  transferServiceAccount: t.prismaField({
    type: 'ServiceAccount',
    description:
      'Hands an account to another active administrator who holds its roles; a SUSPENDED account works again. Audited.',
    authScopes: manageServiceAccounts,
    args: {
      id: t.arg.id({ required: true, description: 'The service-account id.' }),
      toUserId: t.arg.id({ required: true, description: 'The administrator who takes it over.' }),
    },
    resolve: (query, _root, { id, toUserId }, ctx) => transferServiceAccount(ctx, id, toUserId, query),
  }),
  rotateServiceAccount: t.field({
    type: CreateServiceAccountPayload,
    description: 'Issues a new token with the same purpose and roles and revokes the old one at once.',
    authScopes: manageServiceAccounts,
    args: {
      id: t.arg.id({ required: true, description: 'The service-account id.' }),
      durationDays: t.arg.int({ required: true, description: 'Days until the new token expires.' }),
    },
    resolve: (_root, { id, durationDays }, ctx, info) =>
      accounts.rotateServiceAccount(ctx, id, durationDays, accountQuery(ctx, info)),
  }),
}));
