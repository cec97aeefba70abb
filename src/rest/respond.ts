import type { RequestContext } from '../context.ts';
import { isDatabaseUnavailable } from '../db/errors.ts';
import { AppError, BadUserInputError, ServiceUnavailableError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { requestIdOf } from '../plugins/use-request-log.ts';

/** Largest JSON body a REST endpoint reads. */
const maxJsonBytes = 64 * 1024;

/** The one error shape of the REST API: `{ "error": { "code", "message" } }`. */
export function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}) {
  return Response.json({ error: { code, message } }, { status, headers });
}

/** What REST handlers are built with: the request context factory GraphQL uses too. */
export interface RestKit {
  contextFor: (request: Request) => Promise<RequestContext>;
  log: Logger;
}

/**
 * Runs a REST handler with the request's context (authentication
 * included): `AppError`s answer with their status, code and headers;
 * anything else is logged and answered with a generic 500 that carries
 * only the request id.
 */
export async function handle(
  kit: RestKit,
  request: Request,
  run: (ctx: RequestContext) => Promise<Response>,
): Promise<Response> {
  try {
    return await run(await kit.contextFor(request));
  } catch (error) {
    if (error instanceof AppError) return errorResponse(error.status, error.code, error.message, error.headers);
    const requestId = requestIdOf(request);
    if (isDatabaseUnavailable(error)) {
      kit.log.warn({ err: (error as Error).message, requestId }, 'database unavailable');
      const unavailable = new ServiceUnavailableError();
      return errorResponse(unavailable.status, unavailable.code, unavailable.message, unavailable.headers);
    }
    kit.log.error({ err: error, requestId }, 'unexpected error in REST handler');
    return errorResponse(500, 'INTERNAL_SERVER_ERROR', `Unexpected error (request id ${requestId})`);
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
