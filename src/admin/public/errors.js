// Server errors in plain words, and the form field each one names. Raw GraphQL messages (of
// the parser, the validator, variable coercion) are never shown: the console validates first,
// so one of those means a console bug, said as such.

const byCode = {
  NETWORK: 'The server could not be reached. Check your connection and try again.',
  BAD_RESPONSE: 'The server answered something the console cannot read. Try again.',
  UNAUTHENTICATED: 'Your session has ended. Sign in again.',
  GRAPHQL_PARSE_FAILED: 'The console sent a request the server could not read. Reload the page.',
  GRAPHQL_VALIDATION_FAILED: 'The console sent a request the server could not read. Reload the page.',
  BAD_REQUEST: 'The console sent a request the server could not read. Reload the page.',
  SERVICE_UNAVAILABLE: 'The server is busy or its database is unavailable. Try again in a moment.',
  DATABASE_BUSY: 'The database is busy. Try again in a moment.',
  REQUEST_TIMEOUT: 'The server took too long. Try again.',
  STORAGE_FULL: 'The server’s storage is full: nothing can be saved until an operator frees space.',
  STORAGE_READ_ONLY: 'The server’s storage is read-only: nothing can be saved just now.',
  INTERNAL_SERVER_ERROR: 'Something went wrong on the server. Try again; if it keeps happening, tell an operator.',
};

/** Codes whose messages our server writes for people: shown, minus their technical prefix. */
const spoken = new Set(['BAD_USER_INPUT', 'FORBIDDEN', 'CONFLICT', 'NOT_FOUND', 'RATE_LIMITED']);

/** A sentence; `capital` for a message that was the tail of `field: message` ("must be at most 365"). */
const sentence = (text, capital) => {
  const t = text.trim();
  return `${capital ? t.charAt(0).toUpperCase() : t.charAt(0)}${t.slice(1)}${/[.!?)]$/.test(t) ? '' : '.'}`;
};

/**
 * `{ field, text }` for an error: `field` is the last part of the server's field path
 * (`input.durationDays` → `durationDays`), or null; `text` is for people.
 */
export function plain(error) {
  const code = error?.code;
  if (code && spoken.has(code)) {
    const field = error.field ? String(error.field).split('.').pop() : null;
    let text = String(error.message);
    const prefixed = Boolean(error.field) && text.startsWith(`${error.field}: `);
    if (prefixed) text = text.slice(error.field.length + 2);
    // "Not authorized: you cannot…" reads as "You cannot…".
    const lead = /^(Not authorized|Refused): /.exec(text);
    if (lead) text = text.slice(lead[0].length);
    return { field, text: sentence(text, prefixed || (lead && /^(you|this) /.test(text))) };
  }
  return { field: null, text: byCode[code] ?? byCode.INTERNAL_SERVER_ERROR };
}
