import { randomFillSync, randomUUID } from 'node:crypto';
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
  /** `claims.expiresAt` in milliseconds: a hit reads no Date. */
  expiresAt: number;
  notBefore: number;
  /** The key that verified it: a hit is refused once the key store no longer holds it. */
  kid: string;
  /** The token's length in characters. */
  length: number;
  /** The token as `TokenReader` keeps it: its signature masked, never the token itself. */
  kept: KeptToken;
}

/** Verified tokens kept so that repeat requests skip signature checks. */
const cacheSize = 10_000;

/**
 * The characters of an EdDSA or ES256 signature segment: 64 bytes in base64url. Every algorithm
 * we accept signs this long; a token with another length is never cached (it fails in full).
 */
const signatureLength = 86;

/**
 * The longest token the cache holds, in characters: ours are under 700 (a service account's with
 * every role). A longer one is verified in full each time it comes.
 */
const maxCachedLength = 2048;

/** A cache key: 30 bits of a masked word of the signature (a small integer: no string, no hash of one). */
const keyBits = 0x3fffffff;

/** A token as a cache entry keeps it (`TokenReader.kept`). */
interface KeptToken {
  /**
   * Its header and payload, as many of their 8-byte words as end before the signature: no
   * secret (they are the claims, readable by whoever holds the token), kept as they are.
   */
  head: Float64Array;
  /** The rest, from that word on (the whole signature), XORed with the reader's pad: never the signature itself. */
  masked: Int32Array;
}

/**
 * Reads a token into a buffer off the JavaScript heap and compares it with a cached one, whose
 * signature is kept XORed with a random pad of its own, also off the heap (typed arrays longer
 * than 64 bytes keep their bytes outside V8's heap): a heap snapshot holds neither the signatures
 * read nor those cached. The signature is compared in time that does not depend on where it
 * differs (a timing oracle would spell out a cached signature to whoever knows its token's header
 * and payload, which carry no secret); the header and payload, which are no secret, as plain
 * 8-byte words. The characters are read by one call into the engine (`encodeInto`), not one at a
 * time. Counted by callgrind in the running server (instructions per request), comparing the
 * header and payload as doubles, four a turn, rather than every word as 32-bit words masked by
 * the pad took the hit from 7,205 instructions to 3,082: in optimised code each typed-array read
 * costs a map check, a detach check, a bounds check and two loads, so wider words, one array
 * fewer and one check of each array a turn pay.
 */
class TokenReader {
  readonly #pad = randomFillSync(new Int32Array(maxCachedLength / 4));
  readonly #read = new Int32Array(maxCachedLength / 4);
  readonly #wide = new Float64Array(this.#read.buffer);
  readonly #bytes = new Uint8Array(this.#read.buffer);
  readonly #encoder = new TextEncoder();
  /** Characters of the token read last. */
  #length = 0;

  /**
   * Reads `token` and answers its cache key; undefined when it cannot be one of ours that the
   * cache holds: longer than `maxCachedLength`, no dot before an 86-character signature, or a
   * character outside ASCII (encoded as bytes no base64url character has, or in more bytes than
   * characters).
   */
  read(token: string): number | undefined {
    const length = token.length;
    if (length > maxCachedLength || token.charCodeAt(length - signatureLength - 1) !== 46) return undefined;
    const { read, written } = this.#encoder.encodeInto(token, this.#bytes);
    if (read !== length || written !== length) {
      for (let i = 0; i < (written + 3) >> 2; i++) this.#read[i] = 0;
      return undefined;
    }
    this.#length = length;
    const bytes = this.#bytes;
    // The last 8-byte word's spare bytes: left over from a longer token read before.
    for (let i = length; i & 7; i++) bytes[i] = 0;
    // The first 32-bit word wholly inside the signature.
    const word = (length - signatureLength + 3) >> 2;
    return ((this.#read[word] as number) ^ (this.#pad[word] as number)) & keyBits;
  }

  /** The token read last, as a cache entry keeps it. */
  kept(): KeptToken {
    const heads = (this.#length - signatureLength) >> 3;
    const first = heads * 2;
    const words = ((this.#length + 7) >> 3) * 2;
    const masked = new Int32Array(words - first);
    for (let i = first; i < words; i++) masked[i - first] = (this.#read[i] as number) ^ (this.#pad[i] as number);
    return { head: this.#wide.slice(0, heads), masked };
  }

  /**
   * Whether the token read last is the one `kept` holds: the signature in time that depends only
   * on its length, the header and payload (no secret) four words a turn. Two doubles with
   * different bits compare equal only as +0 and -0, and a NaN equals nothing: `kept.head` holds
   * base64url characters and dots only, none of whose 8-byte words is ±0 or NaN (the highest byte
   * is at most 0x7a), so a word read equals one kept only when its 8 bytes do. The masked part
   * has an even number of 32-bit words (whole 8-byte words), read two a turn.
   */
  matches({ head, masked }: KeptToken): boolean {
    const heads = head.length;
    const first = heads * 2;
    const words = ((this.#length + 7) >> 3) * 2;
    if (heads !== (this.#length - signatureLength) >> 3 || masked.length !== words - first) return false;
    const wide = this.#wide;
    let difference = 0;
    // Four words a turn: optimised code checks each array once a turn, and its bounds each read.
    let i = 0;
    for (; i + 4 <= heads; i += 4) {
      if (
        wide[i] !== head[i] ||
        wide[i + 1] !== head[i + 1] ||
        wide[i + 2] !== head[i + 2] ||
        wide[i + 3] !== head[i + 3]
      )
        difference = 1;
    }
    for (; i < heads; i++) if (wide[i] !== head[i]) difference = 1;
    const read = this.#read;
    const pad = this.#pad;
    for (let j = first; j < words; j += 2) {
      difference |=
        ((read[j] as number) ^ (pad[j] as number) ^ (masked[j - first] as number)) |
        ((read[j + 1] as number) ^ (pad[j + 1] as number) ^ (masked[j + 1 - first] as number));
    }
    return difference === 0;
  }

  /**
   * Forgets the signature read last: the words from the one holding its first character on (the
   * header and payload before it are no secret, and the next token read overwrites them).
   */
  clear(): void {
    const end = (this.#length + 7) >> 3;
    const wide = this.#wide;
    // A loop the compiler inlines: `fill` is a call into the engine's runtime.
    for (let i = Math.max(0, (this.#length - signatureLength) >> 3); i < end; i++) wide[i] = 0;
    this.#length = 0;
  }
}

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
 * `exp`/`nbf` with a small clock tolerance. A verified token is cached as
 * its bytes masked by a random pad of the service's, kept off the JavaScript
 * heap, so that no live token is kept in memory (a heap snapshot holds
 * none). A hit needs the very same token, compared in constant time, and
 * re-checks the times and that its key is still one the store accepts: a
 * small-integer map key and a loop over the token's words, with no weaker
 * check and no call into OpenSSL, whose code is cold on every request (a
 * SHA-256 of the token as the key cost more than the rest of the check).
 * Only canonical encodings are accepted, so one token has one string.
 */
export class TokenService {
  /** Keyed by bits of the masked signature (`TokenReader.read`). */
  readonly #cache = new Map<number, CachedToken>();
  readonly #reader = new TokenReader();
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
    return this.#hit(token);
  }

  /** Verifies a compact JWS; throws {@link TokenRejectedError} with the reason. */
  async verify(token: string): Promise<TokenClaims> {
    return this.#hit(token) ?? this.#verifySignature(token);
  }

  /**
   * The cached claims of this very token, or undefined. An entry is this token's only if both its
   * header and payload and its whole signature are the same: anything else is a miss (verified
   * in full, and refused), and leaves the entry as it is.
   */
  #hit(token: string): TokenClaims | undefined {
    const key = this.#reader.read(token);
    const cached = key === undefined ? undefined : this.#cache.get(key);
    const same = cached !== undefined && cached.length === token.length && this.#reader.matches(cached.kept);
    this.#reader.clear();
    if (!same || key === undefined) return undefined;
    const now = this.#now();
    const tolerance = this.options.clockToleranceSeconds * 1000;
    if (!this.options.keys.has(cached.kid)) {
      this.#cache.delete(key);
      throw new TokenRejectedError('unknown_key');
    }
    if (now - tolerance >= cached.expiresAt) {
      this.#cache.delete(key);
      throw new TokenRejectedError('expired', cached.claims);
    }
    if (now + tolerance < cached.notBefore) throw new TokenRejectedError('not_yet_valid');
    return cached.claims;
  }

  async #verifySignature(token: string): Promise<TokenClaims> {
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
          kid = found.kid;
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
    const key = this.#reader.read(token);
    const kept = key === undefined ? undefined : this.#reader.kept();
    this.#reader.clear();
    if (key === undefined || kept === undefined) return claims;
    if (this.#cache.size >= cacheSize) {
      // Drop the oldest entry (Map keeps insertion order).
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    // Two signatures alike in those 30 bits (one chance in 2^30 a pair) share a key: the later
    // entry wins, and the other token is verified in full when it comes again.
    this.#cache.set(key, {
      claims,
      expiresAt: claims.expiresAt.getTime(),
      notBefore: (payload.nbf ?? 0) * 1000,
      kid,
      length: token.length,
      kept,
    });
    return claims;
  }
}
