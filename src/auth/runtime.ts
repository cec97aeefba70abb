import { writeAudit } from '../audit/writer.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import { createAuthenticator } from './authenticate.ts';
import { KeyStore } from './keys.ts';
import { LoginThrottle } from './login-throttle.ts';
import { RevocationList } from './revocations.ts';
import { type TokenClaims, TokenService } from './tokens.ts';
import { UsageRecorder } from './usage.ts';

/** Everything authentication needs at run time, made once per server. */
export interface Auth {
  keys: KeyStore;
  tokens: TokenService;
  throttle: LoginThrottle;
  revocations: RevocationList;
  usage: UsageRecorder;
  authenticate: ReturnType<typeof createAuthenticator>;
  sessionTimeoutMs: number;
  now: () => Date;
  /** Told of each refused token or failed login, by reason (for metrics). */
  onFailure: (reason: string) => void;
  /** Stops the timers and writes pending usage counts. */
  stop(): Promise<void>;
}

export interface AuthOptions {
  /** The clock, replaceable in tests. */
  now?: () => Date;
  /** Told of each refused token or failed login, by reason. */
  onFailure?: (reason: string) => void;
}

/** One audit event per expired token a minute is enough to show the attempts. */
const expiredAuditIntervalMs = 60_000;

/** Builds the authentication runtime and loads the revocation list. */
export async function createAuth(config: Config, log: Logger, db: Db, options: AuthOptions = {}): Promise<Auth> {
  const now = options.now ?? (() => new Date());
  const keys = await KeyStore.open({ configured: config.auth.signingKeys, keyFile: config.auth.keyFile });
  const tokens = new TokenService({
    keys,
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    clockToleranceSeconds: config.auth.clockToleranceSeconds,
    now,
  });
  const throttle = new LoginThrottle({
    threshold: config.auth.lockoutThreshold,
    lockoutSeconds: config.auth.lockoutSeconds,
    now: () => now().getTime(),
  });
  const revocations = new RevocationList(db, log, { pollMs: config.serviceAccounts.revocationPollMs, now });
  await revocations.start();
  const usage = new UsageRecorder(db, log, config.serviceAccounts.usageFlushMs);
  usage.start();

  const check = (claims: TokenClaims): string | null => {
    if (claims.kind === 'service_account') return revocations.isRevoked(claims.tokenId) ? 'revoked' : null;
    return revocations.deactivatedAt(claims.subject) !== undefined ? 'user_deactivated' : null;
  };

  const lastExpiredAudit = new Map<string, number>();
  const onExpired = (claims: TokenClaims, request: Request) => {
    if (claims.kind !== 'service_account') return;
    const at = now().getTime();
    if (at - (lastExpiredAudit.get(claims.tokenId) ?? 0) < expiredAuditIntervalMs) return;
    lastExpiredAudit.set(claims.tokenId, at);
    if (lastExpiredAudit.size > 10_000) lastExpiredAudit.clear();
    writeAudit(db, {
      actor: { type: 'SERVICE_ACCOUNT', serviceAccountId: claims.serviceAccountId ?? null, label: claims.userName },
      action: 'service_account.expired_token_used',
      targetType: 'ServiceAccount',
      targetId: String(claims.serviceAccountId),
      details: {
        tokenId: claims.tokenId,
        expiredAt: claims.expiresAt.toISOString(),
        path: new URL(request.url).pathname,
      },
    }).catch((error: Error) => log.warn({ err: error.message }, 'could not audit an expired token'));
  };

  return {
    keys,
    tokens,
    throttle,
    revocations,
    usage,
    authenticate: createAuthenticator({ tokens, log, check, onExpired, onRefused: options.onFailure }),
    onFailure: options.onFailure ?? (() => {}),
    sessionTimeoutMs: config.auth.sessionTimeoutMinutes * 60_000,
    now,
    async stop() {
      revocations.stop();
      await usage.stop();
    },
  };
}
