import type { Principal } from '../access/principal.ts';
import { UnauthenticatedError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { type TokenClaims, TokenRejectedError, type TokenService } from './tokens.ts';

/** Longest `Authorization` header accepted; our tokens are well under 1 KiB. */
const maxHeaderLength = 4096;
const bearer = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;

export interface AuthenticatorOptions {
  tokens: TokenService;
  log: Logger;
  /**
   * A further check on verified claims (revoked service accounts,
   * deactivated users); answers the refusal reason, or null to accept.
   */
  check?: (claims: TokenClaims) => string | null;
  /** Told of every refused token whose claims are known (expired ones), for auditing. */
  onExpired?: (claims: TokenClaims, request: Request) => void;
  /** Told of every refusal's reason (for metrics). */
  onRefused?: (reason: string) => void;
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

/**
 * Authenticates a request by its `Authorization: Bearer <jwt>` header: no
 * header is an anonymous request (null); anything else that is not a valid
 * token of ours is refused with `UnauthenticatedError`. The reason is
 * logged, the token never is.
 */
export function createAuthenticator({ tokens, log, check, onExpired, onRefused }: AuthenticatorOptions) {
  const refuse = (reason: string, extra: Record<string, unknown> = {}): never => {
    onRefused?.(reason);
    log.info({ reason, ...extra }, 'authentication refused');
    throw new UnauthenticatedError('Invalid or expired token', true);
  };
  return async function authenticate(request: Request): Promise<Principal | null> {
    const header = request.headers.get('authorization');
    if (header === null) return null;
    if (header.length > maxHeaderLength) return refuse('header_too_long');
    const match = bearer.exec(header.trim());
    if (!match?.[1]) return refuse('malformed_header');
    let claims: TokenClaims;
    try {
      claims = await tokens.verify(match[1]);
    } catch (error) {
      if (error instanceof TokenRejectedError) {
        if (error.expiredClaims) onExpired?.(error.expiredClaims, request);
        return refuse(error.reason, error.expiredClaims ? { tokenId: error.expiredClaims.tokenId } : {});
      }
      throw error;
    }
    const refusal = check?.(claims);
    if (refusal) return refuse(refusal, { tokenId: claims.tokenId, subject: claims.subject });
    return principalOf(claims);
  };
}
