import type { RequestContext } from '../context.ts';
import { jsonResponse } from '../http/json-response.ts';
import type { Route } from '../http/router.ts';
import { maxPageSize } from '../issues/input.ts';
import type { IssueRowBatch } from '../issues/rows.ts';
import { allIssues, createIssue, getIssue, pageIssues, updateIssue } from '../issues/service.ts';
import { issueJson, issueJsonWriter } from './issue-json.ts';
import { authErrorDocs, availabilityErrorDocs, errorResponseDoc } from './openapi.ts';
import { handle, type RestKit, readJsonObject } from './respond.ts';

export const jsonHeaders = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' };

/** The request body of one issue (`IssueInput`) and the answers of a write, for a route's `docs`. */
export const issueBodyDoc = {
  required: true,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/IssueInput' } } },
};
export const issueAnswerDoc = {
  description: 'The issue as stored.',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Issue' } } },
};
const versionHeaderDoc = {
  name: 'x-api-version',
  in: 'header',
  required: false,
  description: 'Sent by RegScale’s client (`2`); every version gets the same answer.',
  schema: { type: 'string' },
};

/**
 * Answers a stream of issues as a JSON array (see {@link streamArray}). The
 * first batch is read before answering, so that a database that is down
 * gets its 503 (through `handle`) rather than a 200 whose body breaks off.
 */
export async function streamedIssues(ctx: RequestContext, batches: AsyncGenerator<IssueRowBatch>): Promise<Response> {
  const first = await batches.next();
  const stream = streamArray(first, batches, (error) => ctx.log.error({ err: error }, 'issue stream failed'));
  return new Response(stream, { headers: jsonHeaders });
}

/**
 * Streams a JSON array: one batch of issues written per read (their JSON text
 * straight from the driver's rows, `issueJsonWriter`), and the next batch
 * fetched only when the client has taken the last (backpressure),
 * so memory stays flat for any number of rows. `first` is the batch already
 * read before answering. A later failure cannot change the status any more;
 * the stream is then aborted, which the client sees as a truncated (invalid)
 * JSON document, never as a complete one.
 */
function streamArray(
  first: IteratorResult<IssueRowBatch>,
  batches: AsyncGenerator<IssueRowBatch>,
  onError: (error: unknown) => void,
): ReadableStream<Uint8Array> {
  let ahead: IteratorResult<IssueRowBatch> | undefined = first;
  let opened = false;
  let write: ((row: readonly unknown[]) => string) | undefined;
  return new ReadableStream(
    {
      async pull(controller) {
        try {
          const next = ahead ?? (await batches.next());
          ahead = undefined;
          if (next.done) {
            controller.enqueue(Buffer.from(opened ? ']' : '[]'));
            controller.close();
            return;
          }
          write ??= issueJsonWriter(next.value.format);
          let chunk = '';
          for (const row of next.value.rows) {
            chunk += (opened ? ',' : '[') + write(row);
            opened = true;
          }
          controller.enqueue(Buffer.from(chunk));
        } catch (error) {
          onError(error);
          controller.error(error);
        }
      },
      async cancel() {
        await batches.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * The REST shim for scripts: `GET /api/issues/getAll` (a streamed JSON
 * array, or one page with `?skip=&take=`) and `GET /api/issues/{id}`. The
 * same service functions as GraphQL decide who may read what.
 */
export function issueRoutes(kit: RestKit): Route[] {
  return [
    {
      path: '/api/issues',
      methods: {
        // RegScale's insert_issue reads the answer only on exactly 200 (not 201).
        POST: (request) =>
          handle(kit, request, async (ctx) => {
            const body = await readJsonObject(request, ctx.config.http.maxBodyBytes);
            return jsonResponse(issueJson(await createIssue(ctx, body)), { headers: jsonHeaders });
          }),
      },
      docs: {
        POST: {
          operationId: 'createIssue',
          tags: ['Issues'],
          summary: 'Create an issue',
          description:
            'As RegScale’s client sends it (`insert_issue`, `Issue.create`): RegScale’s field names and values; answers 200 with the stored issue.',
          security: [{ bearerAuth: [] }],
          parameters: [versionHeaderDoc],
          requestBody: issueBodyDoc,
          responses: {
            '200': issueAnswerDoc,
            '400': errorResponseDoc('A field is invalid (the message names it).'),
            ...authErrorDocs,
            ...availabilityErrorDocs,
          },
        },
      },
    },
    {
      path: '/api/issues/getAll',
      methods: {
        GET: (request) =>
          handle(kit, request, async (ctx) => {
            const params = new URL(request.url).searchParams;
            if (params.has('skip') || params.has('take') || params.has('after')) {
              const page = await pageIssues(ctx, {
                skip: params.get('skip') ?? 0,
                take: params.get('take') ?? 100,
                after: params.get('after') ?? undefined,
              });
              return jsonResponse(page.map(issueJson), { headers: jsonHeaders });
            }
            return streamedIssues(ctx, allIssues(ctx));
          }),
      },
      docs: {
        GET: {
          operationId: 'getAllIssues',
          tags: ['Issues'],
          summary: 'Every issue the caller may read, as a JSON array',
          description:
            `Streamed in id order, whatever the number of issues. With \`skip\`, \`take\` or \`after\`, one ` +
            `page instead (\`take\` at most ${maxPageSize}): \`after\` (the last id of the page before) ` +
            'pages by keyset, as fast deep in the list as at its start; `skip` pages by offset, which reads ' +
            'every skipped issue. A failure midway cuts the streamed body short ' +
            '(invalid JSON), so a complete array is always the whole list.',
          security: [{ bearerAuth: [] }],
          parameters: [
            {
              name: 'skip',
              in: 'query',
              required: false,
              description: 'Issues to pass over, in id order.',
              schema: { type: 'integer', minimum: 0, maximum: 1_000_000_000, default: 0 },
            },
            {
              name: 'take',
              in: 'query',
              required: false,
              description: 'Issues in the page; 100 when only `skip` is given.',
              schema: { type: 'integer', minimum: 1, maximum: maxPageSize, default: 100 },
            },
            {
              name: 'after',
              in: 'query',
              required: false,
              description:
                'Keyset paging: the issues after this id, in id order (give the last id of the page before). Not with `skip`.',
              schema: { type: 'integer', minimum: 0, maximum: 2_147_483_647 },
            },
          ],
          responses: {
            '200': {
              description: 'The issues.',
              content: {
                'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Issue' } } },
              },
            },
            '400': errorResponseDoc('Invalid skip, take or after, or skip with after.'),
            ...authErrorDocs,
            ...availabilityErrorDocs,
          },
        },
      },
    },
    {
      path: '/api/issues/{id}',
      methods: {
        GET: (request, { id }) =>
          handle(kit, request, async (ctx) =>
            jsonResponse(issueJson(await getIssue(ctx, id)), { headers: jsonHeaders }),
          ),
        // RegScale's update_issue reads the answer only on exactly 200.
        PUT: (request, { id }) =>
          handle(kit, request, async (ctx) => {
            const body = await readJsonObject(request, ctx.config.http.maxBodyBytes);
            return jsonResponse(issueJson(await updateIssue(ctx, id, body)), { headers: jsonHeaders });
          }),
      },
      docs: {
        GET: {
          operationId: 'getIssue',
          tags: ['Issues'],
          summary: 'One issue',
          security: [{ bearerAuth: [] }],
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1, maximum: 2_147_483_647 } },
          ],
          responses: {
            '200': {
              description: 'The issue.',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Issue' } } },
            },
            '400': errorResponseDoc('The id is not a positive integer.'),
            ...authErrorDocs,
            '404': errorResponseDoc('No issue with this id.'),
            ...availabilityErrorDocs,
          },
        },
        PUT: {
          operationId: 'updateIssue',
          tags: ['Issues'],
          summary: 'Change an issue',
          description:
            'As RegScale’s client sends it (`update_issue`, `Issue.save`): the fields present are changed, the others kept; answers 200 with the stored issue.',
          security: [{ bearerAuth: [] }],
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1, maximum: 2_147_483_647 } },
            versionHeaderDoc,
          ],
          requestBody: issueBodyDoc,
          responses: {
            '200': issueAnswerDoc,
            '400': errorResponseDoc('The id or a field is invalid (the message names it).'),
            ...authErrorDocs,
            '404': errorResponseDoc('No issue with this id.'),
            ...availabilityErrorDocs,
          },
        },
      },
    },
  ];
}
