import { hash, randomUUID } from 'node:crypto';
import { errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { Role } from '../db/types.ts';
import { algorithms, type KeyStore } from './keys.ts';

/** The `typ` header of our tokens: OAuth 2.0 access tokens in JWT form (RFC 9068). */
export const tokenType = 'at+jwt';

/** Kinds of token the server issues. */
export type TokenKind = 'user' | 'service_account';

/** The claims the server puts in a token and reads back. */
export interface TokenClaims {
  kind: TokenKind;
  /** The user id (for a service account: the administrator who created it). */
  subject: string;
  userName: string;
  roles: Role[];
  tokenId: string;
  issuedAt: Date;
  expiresAt: Date;
  /** Set on service-account tokens. */
  serviceAccountId?: number;
}

/** Why a token was refused. Logged; the client only learns it was invalid. */
export type TokenFailure =
  | 'malformed'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'wrong_type'
  | 'invalid_claims';

export class TokenRejectedError extends Error {
  override name = 'TokenRejectedError';
  constructor(
    readonly reason: TokenFailure,
    /** For an expired token only: its claims (the signature was valid), to audit the attempt. */
    readonly expiredClaims?: TokenClaims,
  ) {
    super(`token rejected: ${reason}`);
  }
}

export interface TokenServiceOptions {
  keys: KeyStore;
  issuer: string;
  audience: string;
  clockToleranceSeconds: number;
  /** The clock, replaceable in tests. @default () => new Date() */
  now?: () => Date;
}

interface CachedToken {
  claims: TokenClaims;
  notBefore: number;
  /** The key that verified it: a hit is refused once the key store no longer holds it. */
  kid: string;
}

/** Verified tokens kept so that repeat requests skip signature checks. */
const cacheSize = 10_000;

const roleValues = new Set<string>(Object.values(Role));

/**
 * Whether each segment of a compact JWS is the one canonical base64url
 * spelling of its bytes: no padding, and the spare low bits of a last
 * character zero. Decoders ignore those bits, so without this check one
 * token has several spellings, each a different string (and cache key).
 */
export function isCanonicalJws(token: string): boolean {
  const segments = token.split('.');
  return (
    segments.length === 3 &&
    segments.every((s) => /^[A-Za-z0-9_-]*$/.test(s) && Buffer.from(s, 'base64url').toString('base64url') === s)
  );
}

/**
 * A token's key in the cache of verified tokens: its SHA-256, so that no live token is kept in
 * memory. As a binary string (32 characters), the cheapest output of the one-shot hash.
 */
function digestOf(token: string): string {
  return hash('sha256', token, 'binary');
}

function failureOf(error: unknown): TokenFailure {
  if (error instanceof TokenRejectedError) return error.reason;
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' || error.claim === 'iat') return 'not_yet_valid';
    if (error.claim === 'iss') return 'wrong_issuer';
    if (error.claim === 'aud') return 'wrong_audience';
    if (error.claim === 'typ') return 'wrong_type';
    return 'invalid_claims';
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm_not_allowed';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof errors.JWKSNoMatchingKey) return 'unknown_key';
  return 'malformed';
}

function safeClaims(payload: JWTPayload): TokenClaims | undefined {
  try {
    return claimsOf(payload);
  } catch {
    return undefined;
  }
}

function claimsOf(payload: JWTPayload): TokenClaims {
  const { sub, jti, iat, exp, kind, name, roles, sa } = payload as JWTPayload & Record<string, unknown>;
  const valid =
    typeof sub === 'string' &&
    typeof jti === 'string' &&
    typeof iat === 'number' &&
    typeof exp === 'number' &&
    (kind === 'user' || kind === 'service_account') &&
    typeof name === 'string' &&
    Array.isArray(roles) &&
    roles.every((r) => typeof r === 'string' && roleValues.has(r)) &&
    (kind === 'user' ? sa === undefined : Number.isSafeInteger(sa));
  if (!valid) throw new TokenRejectedError('invalid_claims');
  return {
    kind,
    subject: sub,
    userName: name,
    roles: roles as Role[],
    tokenId: jti,
    issuedAt: new Date(iat * 1000),
    expiresAt: new Date(exp * 1000),
    ...(kind === 'service_account' ? { serviceAccountId: sa as number } : {}),
  };
}

/**
 * Signs and verifies the server's tokens. Verification accepts only our
 * algorithms, our `typ`, issuer and audience, a known key id, and checks
 * `exp`/`nbf` with a small clock tolerance. A verified token is cached by
 * its hash, and a cache hit re-checks the times and that its key is still
 * one the store accepts, so repeat requests cost a hash and two map
 * look-ups, with no weaker check. Only canonical encodings are accepted, so
 * one token has one string and one cache entry.
 */
export class TokenService {
  readonly #cache = new Map<string, CachedToken>();
  /** Milliseconds since the epoch: the clock given, else `Date.now` (no Date made per request). */
  readonly #now: () => number;

  constructor(private readonly options: TokenServiceOptions) {
    const { now } = options;
    this.#now = now ? () => now().getTime() : Date.now;
  }

  /** Signs a token for the given claims; `expiresAt` is its `exp`. */
  async sign(
    claims: Omit<TokenClaims, 'tokenId' | 'issuedAt'> & { tokenId?: string },
  ): Promise<TokenClaims & { token: string }> {
    const { kid, alg, key } = this.options.keys.signingKey;
    const tokenId = claims.tokenId ?? randomUUID();
    const iat = Math.floor(this.#now() / 1000);
    const exp = Math.floor(claims.expiresAt.getTime() / 1000);
    // `id`: the user id, read by RegScale's client (parse_user_id_from_jwt); the same as `sub`. Not verified.
    const payload: JWTPayload = { kind: claims.kind, name: claims.userName, roles: claims.roles, id: claims.subject };
    if (claims.serviceAccountId !== undefined) payload.sa = claims.serviceAccountId;
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg, kid, typ: tokenType })
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setSubject(claims.subject)
      .setJti(tokenId)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .sign(key);
    return { ...claims, tokenId, issuedAt: new Date(iat * 1000), expiresAt: new Date(exp * 1000), token };
  }

  /**
   * The claims of a token this service verified before, re-checked against the clock and the
   * key store, without a signature check and without waiting: undefined when it is not cached.
   * Throws {@link TokenRejectedError} as `verify` does.
   */
  cached(token: string): TokenClaims | undefined {
    return this.#hit(digestOf(token));
  }

  /** Verifies a compact JWS; throws {@link TokenRejectedError} with the reason. */
  async verify(token: string): Promise<TokenClaims> {
    const digest = digestOf(token);
    return this.#hit(digest) ?? this.#verifySignature(token, digest);
  }

  #hit(digest: string): TokenClaims | undefined {
    const cached = this.#cache.get(digest);
    if (!cached) return undefined;
    const now = this.#now();
    const tolerance = this.options.clockToleranceSeconds * 1000;
    if (!this.options.keys.has(cached.kid)) {
      this.#cache.delete(digest);
      throw new TokenRejectedError('unknown_key');
    }
    if (now - tolerance >= cached.claims.expiresAt.getTime()) {
      this.#cache.delete(digest);
      throw new TokenRejectedError('expired', cached.claims);
    }
    if (now + tolerance < cached.notBefore) throw new TokenRejectedError('not_yet_valid');
    return cached.claims;
  }

  async #verifySignature(token: string, digest: string): Promise<TokenClaims> {
    const now = this.#now();
    if (!isCanonicalJws(token)) throw new TokenRejectedError('malformed');
    let payload: JWTPayload;
    let kid = '';
    try {
      ({ payload } = await jwtVerify(
        token,
        async (header) => {
          const found = header.kid ? await this.options.keys.verificationKey(header.kid) : undefined;
          if (!found) throw new TokenRejectedError('unknown_key');
          if (found.alg !== header.alg) throw new TokenRejectedError('algorithm_not_allowed');
          kid = header.kid as string;
          return found.key;
        },
        {
          algorithms: [...algorithms],
          issuer: this.options.issuer,
          audience: this.options.audience,
          typ: tokenType,
          clockTolerance: this.options.clockToleranceSeconds,
          currentDate: new Date(now),
          requiredClaims: ['sub', 'jti', 'iat', 'nbf', 'exp'],
        },
      ));
    } catch (error) {
      // jose checks the signature before the times: an expired token's claims are authentic.
      const expired = error instanceof errors.JWTExpired ? safeClaims(error.payload) : undefined;
      throw new TokenRejectedError(failureOf(error), expired);
    }
    const claims = claimsOf(payload);
    if (this.#cache.size >= cacheSize) {
      // Drop the oldest entry (Map keeps insertion order).
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(digest, { claims, notBefore: (payload.nbf ?? 0) * 1000, kid });
    return claims;
  }
}
