/**
 * `Response.json` with its `Content-Length`: the global Response leaves a string body's length
 * unsaid until it is sent, and an answer of unknown length is compressed whatever its size
 * (`useCompression` sends one under 1 KiB as it is). `Content-Type` is `application/json` unless
 * `init` names one.
 */
export function jsonResponse(value: unknown, init: ResponseInit = {}): Response {
  const text = JSON.stringify(value);
  const headers = new Headers(init.headers);
  if (!headers.has('content-type')) headers.set('Content-Type', 'application/json');
  headers.set('Content-Length', String(Buffer.byteLength(text)));
  return new Response(text, { ...init, headers });
}
