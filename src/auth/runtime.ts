import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { createAuthenticator } from './authenticate.ts';
import { KeyStore } from './keys.ts';
import { LoginThrottle } from './login-throttle.ts';
import { type TokenClaims, TokenService } from './tokens.ts';

/** Everything authentication needs at run time, made once per server. */
export interface Auth {
  keys: KeyStore;
  tokens: TokenService;
  throttle: LoginThrottle;
  authenticate: ReturnType<typeof createAuthenticator>;
  sessionTimeoutMs: number;
  now: () => Date;
}

export interface AuthOptions {
  /** The clock, replaceable in tests. */
  now?: () => Date;
  /** A further check on verified claims; see `createAuthenticator`. */
  check?: (claims: TokenClaims) => string | null;
}

export async function createAuth(config: Config, log: Logger, options: AuthOptions = {}): Promise<Auth> {
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
  return {
    keys,
    tokens,
    throttle,
    authenticate: createAuthenticator({ tokens, log, check: options.check }),
    sessionTimeoutMs: config.auth.sessionTimeoutMinutes * 60_000,
    now,
  };
}
