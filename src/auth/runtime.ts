import { AuditBatch } from '../audit/batch.ts';
import { type AuditActor, actorOf } from '../audit/writer.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { clientAddressOf, requestIdOf } from '../http/request-facts.ts';
import { LimitsStore } from '../limits/store.ts';
import type { Logger } from '../logger.ts';
import {
  createAuthenticator,
  createIdentifier,
  createRequestVerifier,
  principalOf,
  type RefusalReason,
} from './authenticate.ts';
import { ChangeFeed } from './change-feed.ts';
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
  /** Where the login throttle and the request budget count: Redis when configured, else memory. */
  limits: LimitsStore;
  revocations: RevocationList;
  usage: UsageRecorder;
  /** Audit events that come in floods (refused tokens, refusals of a role), written in batches. */
  audits: AuditBatch;
  authenticate: ReturnType<typeof createAuthenticator>;
  /** Who a request's token names, or null; refuses, logs and audits nothing (see `authenticate`). */
  identify: ReturnType<typeof createIdentifier>;
  sessionTimeoutMs: number;
  now: () => Date;
  /** The same clock in milliseconds since the epoch: `Date.now` unless a clock is given (no Date made per request). */
  nowMs: () => number;
  /** Told of each refused token or failed login, by reason (for metrics). */
  onFailure: (reason: string) => void;
  /** Stops the timers and writes pending usage counts and audit events. */
  stop(): Promise<void>;
}

export interface AuthOptions {
  /** The clock, replaceable in tests. */
  now?: () => Date;
  /** Told of each refused token or failed login, by reason. */
  onFailure?: (reason: string) => void;
}

/** The audit event of a refused token: who held it, when the token was genuine. */
function refusedTokenAudit(reason: RefusalReason, claims: TokenClaims | undefined, request: Request) {
  const actor: AuditActor = claims ? actorOf(principalOf(claims)) : { type: 'ANONYMOUS' };
  const serviceAccount = claims?.kind === 'service_account';
  const action = serviceAccount && reason === 'expired' ? 'service_account.expired_token_used' : 'auth.token_refused';
  const clientIp = clientAddressOf(request);
  return {
    key: `${action}\u0000${reason}\u0000${claims?.tokenId ?? clientIp}`,
    entry: {
      action,
      actor,
      ...(serviceAccount
        ? { targetType: 'ServiceAccount', targetId: String(claims?.serviceAccountId) }
        : claims
          ? { targetType: 'User', targetId: claims.subject }
          : {}),
      details: {
        reason,
        ...(claims ? { tokenId: claims.tokenId } : {}),
        ...(claims && reason === 'expired' ? { expiredAt: claims.expiresAt.toISOString() } : {}),
        path: new URL(request.url).pathname,
      },
      clientIp,
      requestId: requestIdOf(request),
    },
  };
}

/** Builds the authentication runtime and loads the revocation list. */
export async function createAuth(config: Config, log: Logger, db: Db, options: AuthOptions = {}): Promise<Auth> {
  const now = options.now ?? (() => new Date());
  /** The same clock in milliseconds: `Date.now` unless a clock is given (no Date made per call). */
  const nowMs = options.now ? () => now().getTime() : Date.now;
  const keys = await KeyStore.open({ configured: config.auth.signingKeys, keyFile: config.auth.keyFile });
  const tokens = new TokenService({
    keys,
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    clockToleranceSeconds: config.auth.clockToleranceSeconds,
    // The clock given, if any: without, the service reads Date.now and makes no Date per request.
    now: options.now,
  });
  const limits = new LimitsStore(config.limits, log);
  await limits.ready(config.limits.redisTimeoutMs);
  const throttle = new LoginThrottle({
    threshold: config.auth.lockoutThreshold,
    lockoutSeconds: config.auth.lockoutSeconds,
    now: nowMs,
    store: limits,
  });
  const revocations = new RevocationList(db, log, { pollMs: config.serviceAccounts.revocationPollMs, now });
  await revocations.start();
  // On PostgreSQL, other instances' changes are pushed (LISTEN/NOTIFY); the poll stays as a safety net.
  const feed =
    config.provider === 'postgresql' && config.serviceAccounts.revocationNotify
      ? new ChangeFeed(config.databaseUrl, log, () => void revocations.nextPoll())
      : undefined;
  await feed?.start();
  const usage = new UsageRecorder(db, log, config.serviceAccounts.usageFlushMs);
  usage.start();
  const audits = new AuditBatch(db, log, config.serviceAccounts.usageFlushMs);
  audits.start();
  const onFailure = options.onFailure ?? (() => {});
  const verificationOf = createRequestVerifier(tokens);

  return {
    keys,
    tokens,
    throttle,
    limits,
    revocations,
    usage,
    audits,
    authenticate: createAuthenticator({
      verificationOf,
      log,
      check: (claims) => revocations.refusalOf(claims),
      onRefused: (reason, claims, request) => {
        onFailure(reason);
        const { key, entry } = refusedTokenAudit(reason, claims, request);
        audits.add(key, entry, now());
      },
    }),
    identify: createIdentifier({ verificationOf, check: (claims) => revocations.refusalOf(claims) }),
    onFailure,
    sessionTimeoutMs: config.auth.sessionTimeoutMinutes * 60_000,
    now,
    nowMs,
    async stop() {
      await feed?.stop();
      revocations.stop();
      await usage.stop();
      await audits.stop();
      await limits.stop();
    },
  };
}
