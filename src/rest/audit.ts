import { type AuditEventJson, auditEventJson, exportAuditEvents } from '../audit/export.ts';
import { ActorType, type AuditEvent } from '../db/types.ts';
import type { Route } from '../http/router.ts';
import { authErrorDocs, availabilityErrorDocs, errorResponseDoc } from './openapi.ts';
import { handle, type RestKit } from './respond.ts';

const ndjsonHeaders = { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' };

/**
 * Streams one JSON object a line. `first` is the event already read before
 * answering; further events are read only as the client takes them
 * (`pull`), a batch at a time. A later failure aborts the stream: the
 * client sees a body cut short, never a complete one.
 */
function streamLines(
  first: IteratorResult<AuditEvent>,
  events: AsyncGenerator<AuditEvent>,
  onError: (error: unknown) => void,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let ahead: IteratorResult<AuditEvent> | undefined = first;
  return new ReadableStream({
    async pull(controller) {
      try {
        const lines: string[] = [];
        for (let i = 0; i < 100; i++) {
          const next = ahead ?? (await events.next());
          ahead = undefined;
          if (next.done) {
            if (lines.length > 0) controller.enqueue(encoder.encode(lines.join('')));
            controller.close();
            return;
          }
          lines.push(`${JSON.stringify(auditEventJson(next.value))}\n`);
        }
        controller.enqueue(encoder.encode(lines.join('')));
      } catch (error) {
        onError(error);
        controller.error(error);
      }
    },
    async cancel() {
      await events.return(undefined);
    },
  });
}

const nullableString = { type: ['string', 'null'] };

/** The fields of an export line, typed by `auditEventJson`'s output so that the two cannot drift. */
const auditEventProperties = {
  id: { type: 'string', description: 'Increasing identifier.' },
  at: { type: 'string', format: 'date-time', description: 'When it happened.' },
  actorType: { type: 'string', enum: Object.values(ActorType) },
  actorUserId: nullableString,
  actorServiceAccountId: { type: ['integer', 'null'] },
  actorLabel: { ...nullableString, description: 'The actor’s name when it acted.' },
  action: { type: 'string', description: 'What happened, e.g. `service_account.revoked`.' },
  targetType: nullableString,
  targetId: nullableString,
  clientAddress: nullableString,
  requestId: nullableString,
  details: { ...nullableString, description: 'JSON object with the action’s details.' },
} satisfies Record<keyof AuditEventJson, unknown>;

const auditEventSchema = {
  type: 'object',
  required: Object.keys(auditEventProperties),
  properties: auditEventProperties,
  additionalProperties: false,
};

const instantParameter = (name: string, required: boolean, description: string) => ({
  name,
  in: 'query',
  required,
  description: `${description} ISO 8601: a date-time with a time zone (\`2026-01-31T09:00:00Z\`) or a date (midnight UTC).`,
  schema: { type: 'string', anyOf: [{ format: 'date-time' }, { format: 'date' }] },
});

/** `GET /api/audit/export`: the audit trail as NDJSON, for administrators (and `npm run audit:export`). */
export function auditRoutes(kit: RestKit): Route[] {
  return [
    {
      path: '/api/audit/export',
      methods: {
        GET: (request) =>
          handle(kit, request, async (ctx) => {
            const params = new URL(request.url).searchParams;
            const events = exportAuditEvents(ctx, {
              since: params.get('since') ?? undefined,
              until: params.get('until') ?? undefined,
            });
            // The first batch is read before answering: a database that is down gets its 503.
            const first = await events.next();
            const stream = streamLines(first, events, (error) =>
              ctx.log.error({ err: error }, 'audit export stream failed'),
            );
            return new Response(stream, { headers: ndjsonHeaders });
          }),
      },
      docs: {
        GET: {
          operationId: 'exportAuditEvents',
          tags: ['Audit'],
          summary: 'The audit trail from a date, as NDJSON (administrators only)',
          description:
            'One JSON object a line (`application/x-ndjson`), oldest first, each with the fields of ' +
            "GraphQL's `AuditEvent`. Streamed, whatever the number of events; a failure midway cuts " +
            'the body short. `npm run audit:export -- --since <ISO>` prints the same lines.',
          security: [{ bearerAuth: [] }],
          parameters: [
            instantParameter('since', true, 'Events at or after this instant.'),
            instantParameter('until', false, 'Events at or before this instant.'),
          ],
          responses: {
            '200': {
              description: 'The events, one a line.',
              content: {
                'application/x-ndjson': { schema: auditEventSchema },
              },
            },
            '400': errorResponseDoc('`since` missing or not ISO 8601, or `until` before it.'),
            ...authErrorDocs,
            ...availabilityErrorDocs,
          },
        },
      },
    },
  ];
}
