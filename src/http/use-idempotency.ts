import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import type { Principal } from '../access/principal.ts';
import type { Db } from '../db/client.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { AppError, type ErrorCode, errorResponse } from '../errors.ts';
import type { Logger } from '../logger.ts';

export interface IdempotencyOptions {
  db: Db;
  log: Logger;
  /** The caller of a request, or null (anonymous and refused requests are not keyed). */
  principalOf: (request: Request) => Promise<Principal | null>;
  /** How long a key and its first answer are kept. @default 24 hours */
  ttlMs?: number;
  now?: () => Date;
}

/** Printable ASCII, 1 to 255 characters, as Stripe takes them. */
const validKey = /^[\x20-\x7e]{1,255}$/;
const writeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Bodies larger than this are answered but not kept for replay (the row records the status). */
const maxStoredBody = 1024 * 1024;

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('base64url');

/**
 * The answer is kept encrypted with a key derived from the caller's own
 * idempotency key, which is stored only as a hash: the database holds no
 * answer in usable form (a new service-account token, say), and only the
 * caller who holds the key can have it replayed.
 */
function cipherKey(idempotencyKey: string, id: string): Buffer {
  return Buffer.from(hkdfSync('sha256', idempotencyKey, id, 'grc-api idempotent answer', 32));
}

function seal(plain: Buffer, idempotencyKey: string, id: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', cipherKey(idempotencyKey, id), iv);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function open(sealed: Uint8Array, idempotencyKey: string, id: string): Buffer {
  const data = Buffer.from(sealed);
  const decipher = createDecipheriv('aes-256-gcm', cipherKey(idempotencyKey, id), data.subarray(0, 12));
  decipher.setAuthTag(data.subarray(12, 28));
  return Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]);
}

/** Whether an answer is OUTCOME_UNKNOWN (REST's `error.code` or GraphQL's `extensions.code`). */
async function saysOutcomeUnknown(response: Response): Promise<boolean> {
  try {
    const body = (await response.clone().json()) as {
      error?: { code?: ErrorCode };
      errors?: { extensions?: { code?: ErrorCode } }[];
    };
    const code = body.error?.code ?? body.errors?.[0]?.extensions?.code;
    return code === 'OUTCOME_UNKNOWN';
  } catch {
    return false;
  }
}

interface Pending {
  id: string;
  key: string;
}

/**
 * `Idempotency-Key` on writes (POST, PUT, PATCH, DELETE; GraphQL mutations
 * included): the same key with the same request within the TTL answers
 * the first answer again (same status and body, plus
 * `Idempotent-Replayed: true`) without doing the work again; while the
 * first is still running a second gets `409 IDEMPOTENCY_IN_PROGRESS`; the
 * same key with another request gets `422 IDEMPOTENCY_KEY_REUSED`. Keys are
 * per principal (a user, or a service account) and kept in the database,
 * so every instance honours them. An answer of 5xx (the work was not done)
 * is not kept: the key may be used again; but after OUTCOME_UNKNOWN the key
 * stays claimed until it expires, so the work is never done twice. Anonymous
 * requests are not keyed.
 */
export function useIdempotency({
  db,
  log,
  principalOf,
  ttlMs = 24 * 3_600_000,
  now = () => new Date(),
}: IdempotencyOptions): Plugin {
  const pending = new WeakMap<Request, Pending>();
  let sincePurge = 0;
  const shape = (url: URL) => (url.pathname === '/graphql' ? 'graphql' : 'rest');

  const purge = () => {
    sincePurge = 0;
    db.idempotencyKey
      .deleteMany({ where: { expiresAt: { lte: now() } } })
      .catch((error: Error) => log.warn({ err: error.message }, 'idempotency purge failed'));
  };

  return {
    async onRequest({ request, url, endResponse }) {
      const key = request.headers.get('idempotency-key');
      if (key === null || !writeMethods.has(request.method)) return;
      if (!validKey.test(key)) {
        endResponse(
          errorResponse(
            new AppError('Idempotency-Key must be 1 to 255 printable ASCII characters', 'BAD_REQUEST', 400),
            shape(url),
          ),
        );
        return;
      }
      let principal: Principal | null;
      try {
        principal = await principalOf(request);
      } catch {
        return; // refused: the request is answered 401 as usual
      }
      if (!principal) return;
      const who = principal.kind === 'serviceAccount' ? `sa:${principal.serviceAccountId}` : `user:${principal.userId}`;
      const id = sha256(`${who}\u0000${key}`);
      const fingerprint = sha256(`${request.method} ${url.pathname}${url.search}\u0000${await request.clone().text()}`);
      const at = now();

      for (let attempt = 0; attempt < 2; attempt++) {
        const found = await db.idempotencyKey.findUnique({ where: { id } });
        if (found && found.expiresAt.getTime() <= at.getTime()) {
          await db.idempotencyKey.deleteMany({ where: { id, expiresAt: found.expiresAt } });
        } else if (found) {
          if (found.fingerprint !== fingerprint) {
            endResponse(
              errorResponse(
                new AppError(
                  'This Idempotency-Key was used with another request: use a new key for a new request',
                  'IDEMPOTENCY_KEY_REUSED',
                  422,
                ),
                shape(url),
              ),
            );
          } else if (!found.completedAt) {
            endResponse(
              errorResponse(
                new AppError(
                  'A request with this Idempotency-Key is still running: retry later',
                  'IDEMPOTENCY_IN_PROGRESS',
                  409,
                  {
                    headers: { 'Retry-After': '1' },
                  },
                ),
                shape(url),
              ),
            );
          } else {
            const body = found.body ? new Uint8Array(open(found.body, key, id)) : null;
            endResponse(
              new Response(body, {
                status: found.status ?? 200,
                headers: {
                  ...(found.contentType ? { 'Content-Type': found.contentType } : {}),
                  'Idempotent-Replayed': 'true',
                  'Cache-Control': 'no-store',
                },
              }),
            );
          }
          return;
        }
        try {
          await db.idempotencyKey.create({
            data: { id, fingerprint, createdAt: at, expiresAt: new Date(at.getTime() + ttlMs) },
          });
          pending.set(request, { id, key });
          if (++sincePurge >= 100) purge();
          return;
        } catch (error) {
          // Another request with this key got there first: answer as it stands.
          if (!isUniqueViolation(error)) throw error;
        }
      }
    },
    async onResponse({ request, response }) {
      const entry = pending.get(request);
      if (!entry) return;
      pending.delete(request);
      try {
        if (response.status >= 500) {
          // Nobody knows whether it was done: the key stays claimed ("in progress") until it
          // expires, so that a retry with it can never do the work twice.
          if (await saysOutcomeUnknown(response)) return;
          // Not done: the key may be used again.
          await db.idempotencyKey.delete({ where: { id: entry.id } });
          return;
        }
        const plain = Buffer.from(await response.clone().arrayBuffer());
        await db.idempotencyKey.update({
          where: { id: entry.id },
          data: {
            completedAt: now(),
            status: response.status,
            contentType: response.headers.get('content-type'),
            body: plain.length <= maxStoredBody ? new Uint8Array(seal(plain, entry.key, entry.id)) : null,
          },
        });
      } catch (error) {
        // The work is done but its answer is not kept: the key stays "in progress" until it
        // expires, so that a retry cannot do the work twice.
        log.warn({ err: (error as Error).message }, 'could not record an idempotent answer');
      }
    },
  };
}
