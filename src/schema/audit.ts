import { auditEventsConnection, listAuditEvents } from '../audit/events.ts';
import { adminPageLimits } from '../db/keyset.ts';
import { builder } from './builder.ts';
import { connectionOf, OrderDirectionEnum } from './pagination.ts';

const ActorTypeEnum = builder.enumType('ActorType', {
  description: 'Who performed an audited action.',
  values: {
    USER: { description: 'A signed-in user.' },
    SERVICE_ACCOUNT: { description: 'A service-account token.' },
    SYSTEM: { description: 'The server itself.' },
    ANONYMOUS: { description: 'An unauthenticated caller.' },
  } as const,
});

const AuditEventType = builder.prismaObject('AuditEvent', {
  description: 'An append-only record of a security-relevant action.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Increasing identifier.' }),
    at: t.expose('at', { type: 'DateTime', description: 'When it happened.' }),
    actorType: t.expose('actorType', { type: ActorTypeEnum, description: 'Kind of actor.' }),
    actorUserId: t.exposeString('actorUserId', { nullable: true, description: 'The acting user.' }),
    actorServiceAccountId: t.exposeInt('actorServiceAccountId', {
      nullable: true,
      description: 'The acting service account.',
    }),
    actorLabel: t.exposeString('actorLabel', { nullable: true, description: 'The actor’s name when it acted.' }),
    action: t.exposeString('action', { description: 'What happened, e.g. `service_account.revoked`.' }),
    targetType: t.exposeString('targetType', { nullable: true, description: 'Kind of thing acted on.' }),
    targetId: t.exposeString('targetId', { nullable: true, description: 'Id of the thing acted on.' }),
    clientAddress: t.exposeString('clientIp', { nullable: true, description: 'Client address of the request.' }),
    requestId: t.exposeString('requestId', { nullable: true, description: 'Request id (X-Request-Id).' }),
    details: t.exposeString('details', { nullable: true, description: 'JSON object with the action’s details.' }),
  }),
});

const AuditEventPage = builder
  .objectRef<{ nodes: object[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }>('AuditEventPage')
  .implement({
    description: 'A page of audit events, newest first.',
    fields: (t) => ({
      nodes: t.field({ type: [AuditEventType], description: 'The events.', resolve: (p) => p.nodes as never }),
      hasNextPage: t.boolean({ description: 'Older events follow.', resolve: (p) => p.pageInfo.hasNextPage }),
      endCursor: t.string({
        nullable: true,
        description: 'Pass as `after` for the next page.',
        resolve: (p) => p.pageInfo.endCursor,
      }),
    }),
  });

const AuditEventFilter = builder.inputType('AuditEventFilter', {
  description: 'Which audit events; all conditions must hold.',
  fields: (t) => ({
    actor: t.string({ description: 'The actor’s user id or name.' }),
    serviceAccountId: t.int({ description: 'Events by or about this service account.' }),
    action: t.string({ description: 'Exact action, or a prefix ending in `.` (e.g. `auth.`).' }),
    since: t.field({ type: 'DateTime', description: 'At or after.' }),
    until: t.field({ type: 'DateTime', description: 'At or before.' }),
  }),
});

const AuditEventConnection = connectionOf(AuditEventType, 'AuditEvent', { plural: 'audit events', counted: false });

const AuditEventConnectionFilter = builder.inputType('AuditEventConnectionFilter', {
  description: 'Which audit events; all conditions must hold.',
  fields: (t) => ({
    actor: t.string({ description: 'The actor’s user id or name.' }),
    serviceAccountId: t.int({ description: 'Events by or about this service account.' }),
    action: t.string({
      description: 'Exact action, or a prefix ending in `.` (e.g. `auth.`); `%` and `_` are plain characters.',
    }),
    targetType: t.string({ description: 'Kind of thing acted on, e.g. `ServiceAccount`, `User`.' }),
    targetId: t.string({ description: 'Id of the thing acted on.' }),
    since: t.field({ type: 'DateTime', description: 'At or after.' }),
    until: t.field({ type: 'DateTime', description: 'At or before.' }),
  }),
});

const AuditEventOrderFieldEnum = builder.enumType('AuditEventOrderField', {
  description: 'What to order audit events by; ties are broken by id.',
  values: { AT: { description: 'When it happened.' } } as const,
});

const AuditEventOrder = builder.inputType('AuditEventOrder', {
  description: 'How to order audit events.',
  fields: (t) => ({
    field: t.field({ type: AuditEventOrderFieldEnum, required: true, description: 'The field to order by.' }),
    direction: t.field({ type: OrderDirectionEnum, defaultValue: 'ASC', description: 'The direction.' }),
  }),
});

builder.queryField('auditEventsConnection', (t) =>
  t.field({
    type: AuditEventConnection,
    description: `The audit trail, a page at a time (Relay cursor connection): \`first\` (0 to ${adminPageLimits.maxSize}, default ${adminPageLimits.defaultSize}) after the cursor \`after\`; default newest first. No totalCount (the trail is unbounded): page until \`hasNextPage\` is false, or use \`GET /api/audit/export\`. Administrators only.`,
    authScopes: { can: 'readAuditEvents' },
    args: {
      first: t.arg.int({
        description: `How many (0 to ${adminPageLimits.maxSize}, default ${adminPageLimits.defaultSize}).`,
      }),
      after: t.arg.string({ description: 'Cursor to start after (an edge’s cursor or pageInfo.endCursor).' }),
      filter: t.arg({ type: AuditEventConnectionFilter, description: 'Which events.' }),
      orderBy: t.arg({ type: AuditEventOrder, description: 'Order; default AT DESC.' }),
    },
    resolve: (_root, args, ctx) => auditEventsConnection(ctx, args),
  }),
);

builder.queryField('auditEvents', (t) =>
  t.field({
    type: AuditEventPage,
    description: 'The audit trail, newest first. Administrators only.',
    deprecationReason: 'Use auditEventsConnection; removed in the next release.',
    authScopes: { can: 'readAuditEvents' },
    args: {
      filter: t.arg({ type: AuditEventFilter, description: 'Which events.' }),
      first: t.arg.int({ description: 'How many (0 to 500, default 50).' }),
      after: t.arg.string({ description: 'endCursor of the previous page.' }),
    },
    resolve: (_root, args, ctx) => listAuditEvents(ctx, args),
  }),
);
