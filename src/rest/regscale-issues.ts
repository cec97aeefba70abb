import { jsonResponse } from '../http/json-response.ts';
import type { Route } from '../http/router.ts';
import { createIssues, createOrUpdateIssues, maxBatchSize, updateIssues } from '../issues/batch.ts';
import { issuesByParent } from '../issues/service.ts';
import { issueJson } from './issue-json.ts';
import { jsonHeaders, streamedIssues } from './issues.ts';
import { authErrorDocs, availabilityErrorDocs, errorResponseDoc } from './openapi.ts';
import { handle, type RestKit, readJson, readJsonObject } from './respond.ts';

const issueList = { type: 'array', items: { $ref: '#/components/schemas/Issue' } };
const inputList = { type: 'array', maxItems: maxBatchSize, items: { $ref: '#/components/schemas/IssueInput' } };

const batchErrors = {
  '400': errorResponseDoc(
    `Not an array of issues, more than ${maxBatchSize}, or an invalid field (the message names it, e.g. \`issues.3.title: must not be empty\`); nothing is written.`,
  ),
  ...authErrorDocs,
  '413': errorResponseDoc('The body is larger than `MAX_BODY_BYTES`.'),
  ...availabilityErrorDocs,
};

/**
 * The routes RegScale's client calls beyond one issue: the issues of a
 * parent record, and batch writes (each batch one transaction, an audit
 * event per issue). The batch paths match whatever their case: the
 * client's `bulk_insert` and `bulk_update` call `batchcreate` and
 * `batchupdate`.
 */
export function regscaleIssueRoutes(kit: RestKit): Route[] {
  return [
    {
      path: '/api/issues/getAllByParent/{parentId}/{module}',
      methods: {
        GET: (request, { parentId, module }) =>
          handle(kit, request, async (ctx) => streamedIssues(ctx, issuesByParent(ctx, parentId, module))),
      },
      docs: {
        GET: {
          operationId: 'getAllIssuesByParent',
          tags: ['Issues'],
          summary: 'Every issue of a parent record (RegScale’s parentId and parentModule)',
          description:
            'A streamed JSON array in id order, empty when the parent has none (RegScale’s client reads a list, `RegScaleModel.get_all_by_parent`).',
          security: [{ bearerAuth: [] }],
          parameters: [
            {
              name: 'parentId',
              in: 'path',
              required: true,
              schema: { type: 'integer', minimum: 0, maximum: 2_147_483_647 },
            },
            {
              name: 'module',
              in: 'path',
              required: true,
              description: 'RegScale’s module slug, e.g. `securityplans`, `components`, `assessments`.',
              schema: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_-]*$', maxLength: 100 },
            },
          ],
          responses: {
            '200': { description: 'The issues.', content: { 'application/json': { schema: issueList } } },
            '400': errorResponseDoc('The parent id or module is invalid.'),
            ...authErrorDocs,
            ...availabilityErrorDocs,
          },
        },
      },
    },
    {
      path: '/api/issues/batchCreate',
      caseInsensitive: true,
      methods: {
        POST: (request) =>
          handle(kit, request, async (ctx) => {
            const body = await readJson(request, ctx.config.http.maxBodyBytes);
            const created = await createIssues(ctx, body);
            return jsonResponse(created.map(issueJson), { headers: jsonHeaders });
          }),
      },
      docs: {
        POST: {
          operationId: 'batchCreateIssues',
          tags: ['Issues'],
          summary: 'Create issues in one transaction',
          description: 'An array of issues; all are created or none. Answers the created issues, in order.',
          security: [{ bearerAuth: [] }],
          requestBody: { required: true, content: { 'application/json': { schema: inputList } } },
          responses: {
            '200': { description: 'The created issues.', content: { 'application/json': { schema: issueList } } },
            ...batchErrors,
          },
        },
      },
    },
    {
      path: '/api/issues/batchUpdate',
      caseInsensitive: true,
      methods: {
        PUT: (request) =>
          handle(kit, request, async (ctx) => {
            const body = await readJson(request, ctx.config.http.maxBodyBytes);
            const updated = await updateIssues(ctx, body);
            return jsonResponse(updated.map(issueJson), { headers: jsonHeaders });
          }),
      },
      docs: {
        PUT: {
          operationId: 'batchUpdateIssues',
          tags: ['Issues'],
          summary: 'Change issues in one transaction',
          description:
            'An array of issues, each with its `id`; all are changed or none (404 when one does not exist). Answers the changed issues, in order.',
          security: [{ bearerAuth: [] }],
          requestBody: { required: true, content: { 'application/json': { schema: inputList } } },
          responses: {
            '200': { description: 'The changed issues.', content: { 'application/json': { schema: issueList } } },
            ...batchErrors,
            '404': errorResponseDoc('An issue of the batch does not exist; nothing is written.'),
          },
        },
      },
    },
    {
      path: '/api/issues/batchCreateOrUpdate',
      caseInsensitive: true,
      methods: {
        POST: (request) =>
          handle(kit, request, async (ctx) => {
            const body = await readJsonObject(request, ctx.config.http.maxBodyBytes);
            const { created, updated } = await createOrUpdateIssues(ctx, body.issues, body.options);
            return jsonResponse(
              {
                created: created.map(issueJson),
                updated: updated.map(issueJson),
                errors: [],
                isSuccessful: true,
                totalProcessed: created.length + updated.length,
              },
              { headers: jsonHeaders },
            );
          }),
      },
      docs: {
        POST: {
          operationId: 'batchCreateOrUpdateIssues',
          tags: ['Issues'],
          summary: 'Create or change issues in one transaction',
          description:
            '`{ "issues": [...], "options": { "uniqueKeyFields": [...] } }`. An issue whose `id` exists is changed; otherwise one whose `uniqueKeyFields` (default `integrationFindingId`, `parentId`, `parentModule`; any of those and `otherIdentifier`, `securityPlanId`) all equal the item’s is changed; otherwise the item is created. All or nothing.',
          security: [{ bearerAuth: [] }],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['issues'],
                  properties: {
                    issues: inputList,
                    options: {
                      type: 'object',
                      properties: {
                        uniqueKeyFields: {
                          type: 'array',
                          items: {
                            type: 'string',
                            enum: [
                              'integrationFindingId',
                              'otherIdentifier',
                              'parentId',
                              'parentModule',
                              'securityPlanId',
                            ],
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          responses: {
            '200': {
              description: 'What was created and what was changed.',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['created', 'updated', 'errors', 'isSuccessful', 'totalProcessed'],
                    properties: {
                      created: issueList,
                      updated: issueList,
                      errors: { type: 'array', maxItems: 0, items: { type: 'string' } },
                      isSuccessful: { type: 'boolean', const: true },
                      totalProcessed: { type: 'integer', minimum: 0 },
                    },
                  },
                },
              },
            },
            ...batchErrors,
          },
        },
      },
    },
  ];
}
