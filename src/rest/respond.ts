import { auditForbidden } from '../audit/refusals.ts';
import type { RequestContext } from '../context.ts';
import { BadUserInputError, errorResponse, toAppError } from '../errors.ts';
import { requestIdOf } from '../http/request-facts.ts';
import type { Logger } from '../logger.ts';

/** Largest JSON body a REST endpoint reads. */
const maxJsonBytes = 64 * 1024;

/** What REST handlers are built with: the request context factory GraphQL uses too. */
export interface RestKit {
  contextFor: (request: Request) => Promise<RequestContext>;
  log: Logger;
}

/**
 * Runs a REST handler with the request's context (authentication
 * included); whatever it throws is answered through `toAppError`, like
 * GraphQL's errors.
 */
export async function handle(
  kit: RestKit,
  request: Request,
  run: (ctx: RequestContext) => Promise<Response>,
): Promise<Response> {
  let ctx: RequestContext | undefined;
  try {
    ctx = await kit.contextFor(request);
    return await run(ctx);
  } catch (error) {
    const answer = toAppError(error, requestIdOf(request), kit.log);
    if (ctx && answer.code === 'FORBIDDEN') {
      auditForbidden(ctx, `${request.method} ${new URL(request.url).pathname}`, answer.message);
    }
    return errorResponse(answer);
  }
}

/** Reads a JSON object body, refusing other content types, oversized and malformed bodies. */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new BadUserInputError('Content-Type must be application/json');
  }
  const length = Number(request.headers.get('content-length') ?? 0);
  if (length > maxJsonBytes) throw new BadUserInputError('Request body too large');
  const text = await request.text();
  if (Buffer.byteLength(text) > maxJsonBytes) throw new BadUserInputError('Request body too large');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BadUserInputError('Request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadUserInputError('Request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}
