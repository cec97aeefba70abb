import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { sqlitePath } from './db/client.ts';
import { defaultDatabaseUrl, type Provider, providerOf } from './db/provider.ts';
import type { ProxyRange, TrustProxy } from './http/request-facts.ts';
import { password } from './users/input.ts';

/** Raised when the environment does not describe a valid configuration. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    /** One line per invalid variable, each naming it. */
    readonly problems: string[],
  ) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

const booleanString = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A whole number written in decimal digits: no `0x10`, `1e3`, `1.5` or blanks. */
const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d{1,15}$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().min(min).max(max));

/** One proxy address or CIDR range (`10.0.0.0/8`, `fd00::/8`), or undefined when it is neither. */
function proxyRange(text: string): ProxyRange | undefined {
  const [address = '', prefix, ...rest] = text.split('/');
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (!family || rest.length > 0) return undefined;
  const bits = family === 'ipv4' ? 32 : 128;
  if (prefix === undefined) return { address, prefix: bits, family };
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits) return undefined;
  return { address, prefix: Number(prefix), family };
}

/** `false`, `true` (one proxy hop, whatever connects) or a comma-separated list of proxy addresses and CIDR ranges. */
const trustProxy = z
  .string()
  .trim()
  .superRefine((v, ctx) => {
    if (['true', 'false', '1', '0', 'yes', 'no'].includes(v.toLowerCase())) return;
    const bad = v.split(',').filter((entry) => !proxyRange(entry.trim()));
    if (bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must be true, false or a comma-separated list of proxy IP addresses or CIDR ranges (not ${bad.map((b) => JSON.stringify(b.trim())).join(', ')})`,
      });
    }
  })
  .transform((v): TrustProxy => {
    const lower = v.toLowerCase();
    if (['true', '1', 'yes'].includes(lower)) return true;
    if (['false', '0', 'no'].includes(lower)) return false;
    return v.split(',').map((entry) => proxyRange(entry.trim()) as ProxyRange);
  });

/** `OTEL_EXPORTER_OTLP_*PROTOCOL`: OTLP over HTTP only (no gRPC client is bundled). */
const otlpProtocol = z.enum(['http/protobuf', 'http/json'], {
  error: 'must be http/protobuf or http/json (OTLP over gRPC is not supported)',
});

/** The samplers of the OpenTelemetry specification that the SDK builds from `OTEL_TRACES_SAMPLER`. */
const samplers = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/**
 * Whether the environment asks for traces: an OTLP endpoint or `OTEL_TRACES_EXPORTER=otlp`, and
 * neither `OTEL_TRACES_EXPORTER=none` nor `OTEL_SDK_DISABLED=true`. Off by default. Read before
 * {@link loadConfig} by the schema builder, which decides at import whether resolvers are traced.
 */
export function tracingRequested(env: Environment = process.env): boolean {
  if (['true', '1', 'yes'].includes(env.OTEL_SDK_DISABLED?.trim().toLowerCase() ?? '')) return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter) return exporter !== 'none';
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
}

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every environment variable the server reads, with its default.
 * The README's Configuration table lists the same names.
 */
const environment = z.object({
  PORT: integer(0, 65535).default(4000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .trim()
    .default(defaultDatabaseUrl)
    .transform((v) => v || defaultDatabaseUrl)
    .refine((v) => {
      try {
        providerOf(v);
        return true;
      } catch {
        return false;
      }
    }, 'must start with file:, postgres:// or postgresql://')
    .refine((v) => !/^file:\s*(\?.*)?$/.test(v), 'must name a database file after file:'),
  DB_POOL_SIZE: integer(1, 200).default(10),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  VIEW_APIS: booleanString.default(true),
  MIGRATE_ON_START: booleanString.default(true),
  SHUTDOWN_TIMEOUT_MS: integer(0, 600_000).default(10_000),
  SHUTDOWN_DRAIN_MS: integer(0, 600_000).default(5000),
  ADMIN_USERNAME: z.string().trim().min(1).max(100).optional(),
  // The one password rule of every path that sets a password.
  ADMIN_PASSWORD: password.optional(),
  SESSION_TIMEOUT_MINUTES: integer(1, 7 * 24 * 60).default(60),
  JWT_ISSUER: z.string().trim().min(1).default('grc-api'),
  JWT_AUDIENCE: z.string().trim().min(1).default('grc-api'),
  JWT_SIGNING_KEYS: z.string().trim().min(1).optional(),
  JWT_KEY_FILE: z.string().trim().min(1).optional(),
  JWT_CLOCK_TOLERANCE_SECONDS: integer(0, 300).default(30),
  LOGIN_LOCKOUT_THRESHOLD: integer(1, 1000).default(5),
  LOGIN_LOCKOUT_SECONDS: integer(1, 86_400).default(60),
  SERVICE_ACCOUNT_MAX_DAYS: integer(1, 3650).default(365),
  SERVICE_ACCOUNT_EXPIRING_SOON_DAYS: integer(1, 365).default(14),
  REVOCATION_POLL_MS: integer(50, 60_000).default(500),
  REVOCATION_NOTIFY: booleanString.default(true),
  USAGE_FLUSH_SECONDS: integer(1, 3600).default(5),
  GRAPHQL_MAX_DEPTH: integer(1, 100).default(12),
  GRAPHQL_MAX_ALIASES: integer(0, 1000).default(15),
  GRAPHQL_MAX_DIRECTIVES: integer(0, 1000).default(10),
  GRAPHQL_MAX_TOKENS: integer(10, 100_000).default(2000),
  GRAPHQL_MAX_COST: integer(1, 10_000_000).default(5000),
  MAX_BODY_BYTES: integer(1024, 100 * 1024 * 1024).default(100 * 1024),
  MAX_URL_LENGTH: integer(256, 65_536).default(8192),
  REQUEST_TIMEOUT_MS: integer(100, 600_000).default(30_000),
  CORS_ORIGINS: z
    .string()
    .trim()
    .default('')
    .refine(
      (v) => v === '' || v === '*' || v.split(',').every((o) => /^https?:\/\/[^/\s]+$/.test(o.trim())),
      'must be empty, * or a comma-separated list of origins like https://app.example.com',
    ),
  RATE_LIMIT_PER_MINUTE: integer(0, 1_000_000).default(600),
  METRICS_ENABLED: booleanString.default(false),
  TRUSTED_DOCUMENTS: z.enum(['off', 'allow', 'require']).default('off'),
  GRAPHQL_JIT: booleanString.default(true),
  TRUST_PROXY: trustProxy.default(false),
  REDIS_URL: z
    .string()
    .trim()
    .regex(/^rediss?:\/\/\S+$/, 'must start with redis:// or rediss://')
    .optional(),
  REDIS_KEY_PREFIX: z.string().trim().min(1).max(100).default('grc:'),
  REDIS_TIMEOUT_MS: integer(50, 60_000).default(1000),
  // Standard OpenTelemetry variables: validated here, read by the SDK itself (src/telemetry.ts).
  OTEL_SDK_DISABLED: booleanString.default(false),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none'], { error: 'must be otlp or none' }).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol.default('http/protobuf'),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol.optional(),
  OTEL_TRACES_SAMPLER: z.enum(samplers, { error: `must be one of ${samplers.join(', ')}` }).optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
});

export type Environment = Record<string, string | undefined>;

/**
 * Secrets that may be given as a file instead, `NAME_FILE` naming it, as Docker
 * and Kubernetes mount secrets: the file's content (less one final newline) is
 * the value. Setting both `NAME` and `NAME_FILE` is an error.
 */
const fileVariables = ['DATABASE_URL', 'ADMIN_PASSWORD'] as const;

/** `env` with every `NAME_FILE` read into `NAME`; answers the names read from files. */
function readFileVariables(env: Environment, problems: string[]): { env: Environment; fromFile: Set<string> } {
  const out = { ...env };
  const fromFile = new Set<string>();
  for (const name of fileVariables) {
    const path = env[`${name}_FILE`];
    delete out[`${name}_FILE`];
    if (path === undefined) continue;
    if (env[name] !== undefined) {
      problems.push(`${name}_FILE: set ${name} or ${name}_FILE, not both`);
      continue;
    }
    try {
      const value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
      // An empty variable counts as unset; an empty secret file is a mistake, not a default.
      if (value === '') problems.push(`${name}_FILE: ${path} is empty`);
      out[name] = value;
      fromFile.add(name);
    } catch (error) {
      problems.push(`${name}_FILE: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return { env: out, fromFile };
}

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  provider: Provider;
  /** Folder beside the SQLite database (or ./data on PostgreSQL) for files the server keeps. */
  dataDir: string;
  dbPoolSize: number;
  logLevel: (typeof logLevels)[number];
  /** Whether API contracts (GraphiQL, introspection, Swagger) are published. Read once at start-up. */
  viewApis: boolean;
  migrateOnStart: boolean;
  shutdownTimeoutMs: number;
  /** How long the server keeps answering on SIGTERM, /readyz saying `draining`, before it stops listening. */
  shutdownDrainMs: number;
  admin: { userName: string; password: string | undefined };
  auth: {
    sessionTimeoutMinutes: number;
    issuer: string;
    audience: string;
    /** Signing keys given in the environment (JWKS, JWK or PEM); else the key file is used. */
    signingKeys: string | undefined;
    /** Where generated signing keys are kept when none are configured. */
    keyFile: string;
    clockToleranceSeconds: number;
    /** Failed logins (per user name and address) before further attempts are refused. */
    lockoutThreshold: number;
    /** How long the first refusal lasts; it doubles with each further failure, up to 15 minutes. */
    lockoutSeconds: number;
  };
  http: {
    /** Largest request body accepted (413 above; 411 without Content-Length). */
    maxBodyBytes: number;
    /** Longest URL accepted (414 above). */
    maxUrlLength: number;
    /** A request idle (nothing received or sent) this long is ended. */
    requestTimeoutMs: number;
    /** Origins allowed by CORS: none (same-origin only), a list, or '*'. */
    corsOrigins: string[] | '*';
    /** Requests a minute per credential (or per address when anonymous); 0 turns limiting off. */
    rateLimitPerMinute: number;
  };
  /** Where the request budget and the login throttle keep their counts. */
  limits: {
    /** Redis shared by every instance; undefined: each instance counts in its own memory. */
    redisUrl: string | undefined;
    /** Put before every key, so that several deployments can share one Redis. */
    redisKeyPrefix: string;
    /** Longest wait for Redis to connect or answer a command before this instance counts in memory. */
    redisTimeoutMs: number;
  };
  /** Whether `GET /metrics` (Prometheus) is served. */
  metricsEnabled: boolean;
  /**
   * Trusted documents (the committed manifest): `off` runs any query; `allow` also takes a
   * listed document by its hash; `require` runs listed documents only.
   */
  trustedDocuments: 'off' | 'allow' | 'require';
  /** Whether queries run often are compiled by graphql-jit (`src/plugins/use-graphql-jit.ts`). */
  graphqlJit: boolean;
  /**
   * Whose `X-Forwarded-For` gives the client address: nobody, whatever connects (one hop),
   * or the listed proxies.
   */
  trustProxy: TrustProxy;
  /** OpenTelemetry traces, exported by OTLP over HTTP (`src/telemetry.ts`). */
  tracing: {
    /** Off unless the standard `OTEL_*` variables ask for traces (see {@link tracingRequested}). */
    enabled: boolean;
    /** How spans are encoded on the wire. */
    protocol: 'http/protobuf' | 'http/json';
  };
  /** graphql-armor limits on every operation. */
  graphql: { maxDepth: number; maxAliases: number; maxDirectives: number; maxTokens: number; maxCost: number };
  serviceAccounts: {
    /** Longest lifetime of a service-account token, in days. */
    maxDays: number;
    /** An active account expiring within this many days is EXPIRING_SOON. */
    expiringSoonDays: number;
    /** How often revocations made by other instances are read. */
    revocationPollMs: number;
    /** On PostgreSQL, push changes to other instances with LISTEN/NOTIFY (the poll stays as a safety net). */
    revocationNotify: boolean;
    /** How often token use counts are written. */
    usageFlushMs: number;
  };
}

/**
 * Parses and validates the environment once. Every invalid variable is
 * reported, each by name, in one {@link ConfigError}.
 */
export function loadConfig(env: Environment = process.env): Config {
  // An empty variable counts as unset, as in most deployment tools.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const problems: string[] = [];
  const files = readFileVariables(present, problems);
  const parsed = environment.safeParse(files.env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path.join('.');
      // A value read from a file is reported under the variable that named the file.
      problems.push(`${files.fromFile.has(name) ? `${name}_FILE` : name}: ${issue.message}`);
    }
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const provider = providerOf(e.DATABASE_URL);
  const dataDir = provider === 'sqlite' ? dirname(sqlitePath(e.DATABASE_URL)) : resolve('data');
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    provider,
    dataDir,
    dbPoolSize: e.DB_POOL_SIZE,
    logLevel: e.LOG_LEVEL,
    viewApis: e.VIEW_APIS,
    migrateOnStart: e.MIGRATE_ON_START,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    admin: { userName: e.ADMIN_USERNAME ?? 'admin', password: e.ADMIN_PASSWORD },
    auth: {
      sessionTimeoutMinutes: e.SESSION_TIMEOUT_MINUTES,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      signingKeys: e.JWT_SIGNING_KEYS,
      keyFile: resolve(e.JWT_KEY_FILE ?? join(dataDir, 'jwt-keys.json')),
      clockToleranceSeconds: e.JWT_CLOCK_TOLERANCE_SECONDS,
      lockoutThreshold: e.LOGIN_LOCKOUT_THRESHOLD,
      lockoutSeconds: e.LOGIN_LOCKOUT_SECONDS,
    },
    http: {
      maxBodyBytes: e.MAX_BODY_BYTES,
      maxUrlLength: e.MAX_URL_LENGTH,
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      corsOrigins:
        e.CORS_ORIGINS === '*'
          ? '*'
          : e.CORS_ORIGINS.split(',')
              .map((o) => o.trim())
              .filter(Boolean),
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    },
    limits: { redisUrl: e.REDIS_URL, redisKeyPrefix: e.REDIS_KEY_PREFIX, redisTimeoutMs: e.REDIS_TIMEOUT_MS },
    metricsEnabled: e.METRICS_ENABLED,
    trustedDocuments: e.TRUSTED_DOCUMENTS,
    graphqlJit: e.GRAPHQL_JIT,
    trustProxy: e.TRUST_PROXY,
    tracing: {
      enabled: tracingRequested(present),
      protocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL,
    },
    graphql: {
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
      maxTokens: e.GRAPHQL_MAX_TOKENS,
      maxCost: e.GRAPHQL_MAX_COST,
    },
    serviceAccounts: {
      maxDays: e.SERVICE_ACCOUNT_MAX_DAYS,
      expiringSoonDays: e.SERVICE_ACCOUNT_EXPIRING_SOON_DAYS,
      revocationPollMs: e.REVOCATION_POLL_MS,
      revocationNotify: e.REVOCATION_NOTIFY,
      usageFlushMs: e.USAGE_FLUSH_SECONDS * 1000,
    },
  };
}
