import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { AppError, errorBody } from '../errors.ts';

/**
 * Bounds the time to an answer: a request that has no response started
 * within `ms` (a slow client, a slow query) gets 503 REQUEST_TIMEOUT and its
 * connection closed. A response already streaming is left to the socket's
 * idle timeout instead, so a long getAll is not cut while it makes progress.
 */
export function withRequestTimeout(handler: RequestListener, ms: number): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      const error = new AppError(`No answer within ${ms} ms`, 'REQUEST_TIMEOUT', 503, {
        headers: { 'Retry-After': '1' },
      });
      res.writeHead(error.status, { 'Content-Type': 'application/json', ...error.headers, Connection: 'close' });
      res.end(JSON.stringify(errorBody(error)));
      req.destroy();
    }, ms);
    res.once('close', () => clearTimeout(timer));
    handler(req, res);
  };
}
