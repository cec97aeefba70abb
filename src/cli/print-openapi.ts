/**
 * Prints the OpenAPI document of the REST API (as `/swagger/v1/swagger.json`
 * serves it) to stdout, for linters: `npm run -s openapi:print > openapi.json`.
 * It builds the routes without a database or keys: only their `docs` are read.
 */
import { healthRoutes } from '../http/health.ts';
import { createLogger } from '../logger.ts';
import { authRoutes } from '../rest/authentication.ts';
import { issueRoutes } from '../rest/issues.ts';
import { openApiDocument } from '../rest/openapi.ts';
import { regscaleIssueRoutes } from '../rest/regscale-issues.ts';
import type { RestKit } from '../rest/respond.ts';

const kit: RestKit = { contextFor: () => Promise.reject(new Error('not served')), log: createLogger('silent') };
// The same factories, in the same order, as `apiRoutes` in src/server.ts; no handler is called.
const routes = [
  ...healthRoutes({} as never, {} as never),
  ...authRoutes(kit, {} as never),
  ...regscaleIssueRoutes(kit),
  ...issueRoutes(kit),
];
process.stdout.write(`${JSON.stringify(openApiDocument(routes), null, 2)}\n`);
