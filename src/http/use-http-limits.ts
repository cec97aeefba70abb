import type { Plugin } from 'graphql-yoga';
import { AppError, type ErrorCode, errorResponse } from '../errors.ts';

export interface HttpLimitsOptions {
  /** Largest request body in bytes. */
  maxBodyBytes: number;
  /** Longest URL (path and query string) in characters. */
  maxUrlLength: number;
}

const problem = (status: number, code: ErrorCode, message: string) =>
  errorResponse(new AppError(message, code, status));

/**
 * Refuses oversized requests before anything reads them: a URL longer than
 * `maxUrlLength` (414), a body declared larger than `maxBodyBytes` (413),
 * and a chunked body without a declared length (411): it could otherwise
 * grow past the limit while being read. (Over HTTP/1.1 a body has one or
 * the other.)
 */
export function useHttpLimits({ maxBodyBytes, maxUrlLength }: HttpLimitsOptions): Plugin {
  return {
    onRequest({ request, url, endResponse }) {
      if (url.pathname.length + url.search.length > maxUrlLength) {
        endResponse(problem(414, 'URI_TOO_LONG', `The URL is longer than ${maxUrlLength} characters`));
        return;
      }
      if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
      const declared = request.headers.get('content-length');
      if (declared === null) {
        if (request.headers.get('transfer-encoding')) {
          endResponse(problem(411, 'LENGTH_REQUIRED', 'Send the request body with a Content-Length'));
        }
        return;
      }
      if (!/^\d+$/.test(declared)) {
        endResponse(problem(400, 'BAD_REQUEST', 'Malformed Content-Length'));
        return;
      }
      if (Number(declared) > maxBodyBytes) {
        endResponse(problem(413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${maxBodyBytes} bytes`));
      }
    },
  };
}
