import { auditForbidden } from '../audit/refusals.ts';
import type { RequestContext } from '../context.ts';
import { BadUserInputError, errorResponse, toAppError } from '../errors.ts';
import { requestIdOf } from '../http/request-facts.ts';
import type { Logger } from '../logger.ts';

/** Largest JSON body a REST endpoint reads. */
const maxJsonBytes = 64 * 1024;

/** What REST handlers are built with: the request context factory GraphQL uses too. */
export interface RestKit {
  contextFor: (request: Request, options?: { authenticate?: boolean }) => RequestContext | Promise<RequestContext>;
  log: Logger;
}

export interface HandleOptions {
  /**
   * Build the context without reading the `Authorization` header (principal
   * null), for endpoints that are anonymous by nature (login), so that a
   * stale header some clients send is not refused. @default false
   */
  anonymous?: boolean;
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
  options: HandleOptions = {},
): Promise<Response> {
  let ctx: RequestContext | undefined;
  try {
    ctx = await kit.contextFor(request, { authenticate: !options.anonymous });
    return await run(ctx);
  } catch (error) {
    const answer = toAppError(error, requestIdOf(request), kit.log);
    if (ctx && answer.code === 'FORBIDDEN') {
      auditForbidden(ctx, `${request.method} ${new URL(request.url).pathname}`, answer.message);
    }
    return errorResponse(answer);
  }
}

/**
 * Reads a JSON body of at most `maxBytes`, refusing other content types,
 * oversized and malformed bodies.
 */
export async function readJson(request: Request, maxBytes = maxJsonBytes): Promise<unknown> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new BadUserInputError('Content-Type must be application/json');
  }
  const length = Number(request.headers.get('content-length') ?? 0);
  if (length > maxBytes) throw new BadUserInputError('Request body too large');
  const text = await request.text();
  if (Buffer.byteLength(text) > maxBytes) throw new BadUserInputError('Request body too large');
  try {
    return JSON.parse(text);
  } catch {
    throw new BadUserInputError('Request body is not valid JSON');
  }
}

/** Reads a JSON object body (see {@link readJson}). */
export async function readJsonObject(request: Request, maxBytes = maxJsonBytes): Promise<Record<string, unknown>> {
  const body = await readJson(request, maxBytes);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadUserInputError('Request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}
