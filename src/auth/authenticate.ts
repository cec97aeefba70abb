import type { Principal } from '../access/principal.ts';
import { UnauthenticatedError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Refusal } from './revocations.ts';
import { type TokenClaims, type TokenFailure, TokenRejectedError, type TokenService } from './tokens.ts';

/** Longest `Authorization` header accepted; our tokens are well under 1 KiB. */
const maxHeaderLength = 4096;
const bearer = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;

/** Every reason a token is refused. */
export type RefusalReason = Refusal | TokenFailure | 'header_too_long' | 'malformed_header';

/**
 * What the holder of a refused token is told: why, when that is safe to
 * say (the token was ours and genuine, but it ended), and never which part
 * of a forged or broken token failed.
 */
const messages: Partial<Record<RefusalReason, string>> = {
  expired: 'Token expired: sign in again or use a current token',
  revoked: 'Token revoked',
  suspended: 'Service account suspended: its creator no longer holds its roles, or was deactivated',
  session_ended: 'Session ended: sign in again',
  user_deactivated: 'Account deactivated',
};

export interface AuthenticatorOptions {
  tokens: TokenService;
  log: Logger;
  /**
   * A further check on verified claims (revoked or suspended service
   * accounts, ended sessions, deactivated users); answers the refusal
   * reason, or null to accept.
   */
  check?: (claims: TokenClaims) => Refusal | null;
  /** Told of every refused token: the reason and, when the token was genuine, its claims. */
  onRefused?: (reason: RefusalReason, claims: TokenClaims | undefined, request: Request) => void;
}

export function principalOf(claims: TokenClaims): Principal {
  return {
    kind: claims.kind === 'service_account' ? 'serviceAccount' : 'user',
    userId: claims.subject,
    serviceAccountId: claims.serviceAccountId ?? null,
    userName: claims.userName,
    roles: new Set(claims.roles),
    tokenId: claims.tokenId,
    expiresAt: claims.expiresAt,
  };
}

/** Principals made from verified claims, by the claims object (`principalFor`). */
const principals = new WeakMap<TokenClaims, Principal>();

/**
 * The principal of verified claims, made once per claims object and frozen: the token cache
 * answers the same claims on every hit, so a request with a cached token makes no principal (nor
 * its set of roles), whichever part of the server asks. Held no longer than the cache holds the
 * claims.
 */
function principalFor(claims: TokenClaims): Principal {
  let principal = principals.get(claims);
  if (principal === undefined) {
    principal = Object.freeze(principalOf(claims));
    principals.set(claims, principal);
  }
  return principal;
}

/** What a request's `Authorization` header came to: no header, a verified token, or a refusal. */
export type Verification =
  | { kind: 'none' }
  | { kind: 'verified'; claims: TokenClaims }
  | { kind: 'refused'; reason: RefusalReason; claims?: TokenClaims };

/**
 * The token of a header spelled `Bearer <token>` (the scheme in any case, one space, nothing
 * around it), without a regular expression; undefined for any other spelling. Only a shortcut
 * to the cache of verified tokens: whatever it answers is either a token verified before or
 * checked in full by `bearer`.
 */
function plainBearerToken(header: string): string | undefined {
  if (header.charCodeAt(6) !== 32) return undefined;
  const scheme = header.slice(0, 6);
  return scheme === 'Bearer' || scheme.toLowerCase() === 'bearer' ? header.slice(7) : undefined;
}

function refusedBy(error: unknown): Verification {
  if (error instanceof TokenRejectedError)
    return { kind: 'refused', reason: error.reason, claims: error.expiredClaims };
  throw error;
}

/**
 * Verifies a request's bearer token once per request, however many parts of the server ask
 * (the rate limiter's identity, idempotency keys, authentication): the answer is kept with the
 * request object. A token verified before is answered at once, without a promise; a new one
 * waits for its signature check.
 */
export function createRequestVerifier(tokens: TokenService) {
  // On the request itself, not in a WeakMap keyed by it: an entry whose key dies young costs
  // the garbage collector more than the whole check of a cached token.
  const verified = Symbol('verification');
  type Verified = Request & { [verified]?: Verification | Promise<Verification> };
  const verifyInFull = async (header: string): Promise<Verification> => {
    const match = bearer.exec(header.trim());
    if (!match?.[1]) return { kind: 'refused', reason: 'malformed_header' };
    try {
      return { kind: 'verified', claims: await tokens.verify(match[1]) };
    } catch (error) {
      return refusedBy(error);
    }
  };
  const verify = (header: string | null): Verification | Promise<Verification> => {
    if (header === null) return none;
    if (header.length > maxHeaderLength) return { kind: 'refused', reason: 'header_too_long' };
    const token = plainBearerToken(header);
    try {
      // A cached token is one verified in full before, so it is a well-formed JWS: the
      // header's regular expression would match it.
      const claims = token === undefined ? undefined : tokens.cached(token);
      if (claims) return { kind: 'verified', claims };
    } catch (error) {
      return refusedBy(error);
    }
    return verifyInFull(header);
  };
  return function verificationOf(request: Verified): Verification | Promise<Verification> {
    let answer = request[verified];
    if (answer === undefined) {
      answer = verify(request.headers.get('authorization'));
      request[verified] = answer;
    }
    return answer;
  };
}

const none: Verification = { kind: 'none' };

export type RequestVerifier = ReturnType<typeof createRequestVerifier>;

/**
 * Authenticates a request by its `Authorization: Bearer <jwt>` header: no
 * header is an anonymous request (null); anything else that is not a valid,
 * current token of ours is refused with `UnauthenticatedError`. The reason
 * is logged, the token never is.
 */
export function createAuthenticator({
  verificationOf,
  log,
  check,
  onRefused,
}: Omit<AuthenticatorOptions, 'tokens'> & { verificationOf: RequestVerifier }) {
  const refuse = (request: Request, reason: RefusalReason, claims?: TokenClaims): never => {
    onRefused?.(reason, claims, request);
    log.info(
      { reason, ...(claims ? { tokenId: claims.tokenId, subject: claims.subject } : {}) },
      'authentication refused',
    );
    throw new UnauthenticatedError(messages[reason] ?? 'Invalid or expired token', true);
  };
  const decide = (request: Request, verification: Verification): Principal | null => {
    if (verification.kind === 'none') return null;
    if (verification.kind === 'refused') return refuse(request, verification.reason, verification.claims);
    const refusal = check?.(verification.claims);
    if (refusal) return refuse(request, refusal, verification.claims);
    return principalFor(verification.claims);
  };
  /** Answers at once (no promise) when the token was verified before; a refusal is a rejected promise. */
  return function authenticate(request: Request): Principal | null | Promise<Principal | null> {
    try {
      const verification = verificationOf(request);
      return verification instanceof Promise
        ? verification.then((v) => decide(request, v))
        : decide(request, verification);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

/**
 * The principal of a request's bearer token, or null, without refusing,
 * logging or auditing anything: for plumbing that only needs to know who
 * is calling (keys of idempotent writes). `authenticate` still decides.
 */
export function createIdentifier({
  verificationOf,
  check,
}: Pick<AuthenticatorOptions, 'check'> & { verificationOf: RequestVerifier }) {
  return async function identify(request: Request): Promise<Principal | null> {
    try {
      const verification = await verificationOf(request);
      if (verification.kind !== 'verified' || check?.(verification.claims)) return null;
      return principalFor(verification.claims);
    } catch {
      return null;
    }
  };
}
