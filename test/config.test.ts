import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

/** The ConfigError `loadConfig` throws for `env`; fails the test when it throws nothing or something else. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

/** The variable each problem names (problems read `NAME: what is wrong`). */
const named = (error: ConfigError) => error.problems.map((p) => p.slice(0, p.indexOf(':'))).sort();

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      port: 4000,
      host: '127.0.0.1',
      databaseUrl: 'file:./data/grc.db',
      provider: 'sqlite',
      dataDir: resolve('data'),
      dbPoolSize: 10,
      logLevel: 'info',
      viewApis: true,
      migrateOnStart: true,
      shutdownTimeoutMs: 10_000,
      shutdownDrainMs: 5000,
      admin: { userName: 'admin', password: undefined },
      auth: {
        sessionTimeoutMinutes: 60,
        issuer: 'grc-api',
        audience: 'grc-api',
        signingKeys: undefined,
        keyFile: resolve('data', 'jwt-keys.json'),
        clockToleranceSeconds: 30,
        lockoutThreshold: 5,
        lockoutSeconds: 60,
      },
      http: {
        maxBodyBytes: 102_400,
        maxUrlLength: 8192,
        requestTimeoutMs: 30_000,
        corsOrigins: [],
        rateLimitPerMinute: 600,
      },
      limits: { redisUrl: undefined, redisKeyPrefix: 'grc:', redisTimeoutMs: 1000 },
      metricsEnabled: false,
      trustedDocuments: 'off',
      graphqlJit: true,
      trustProxy: false,
      tracing: { enabled: false, protocol: 'http/protobuf' },
      graphql: { maxDepth: 12, maxAliases: 15, maxDirectives: 10, maxTokens: 2000, maxCost: 5000 },
      serviceAccounts: {
        maxDays: 365,
        expiringSoonDays: 14,
        revocationPollMs: 500,
        revocationNotify: true,
        usageFlushMs: 5000,
      },
    });
  });

  it('reads the given values', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      VIEW_APIS: 'false',
      LOG_LEVEL: 'warn',
      TRUSTED_DOCUMENTS: 'require',
      SESSION_TIMEOUT_MINUTES: '15',
      ADMIN_USERNAME: 'root',
      ADMIN_PASSWORD: 'twelve chars',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      viewApis: false,
      logLevel: 'warn',
      trustedDocuments: 'require',
      auth: { sessionTimeoutMinutes: 15 },
      admin: { userName: 'root', password: 'twelve chars' },
    });
  });

  it('chooses the provider from DATABASE_URL and keeps files beside the SQLite database', () => {
    const postgres = loadConfig({ DATABASE_URL: 'postgresql://u:p@db.example:5432/grc' });
    expect(postgres).toMatchObject({ provider: 'postgresql', databaseUrl: 'postgresql://u:p@db.example:5432/grc' });
    expect(postgres.dataDir).toBe(resolve('data'));
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).provider).toBe('postgresql');

    const sqlite = loadConfig({ DATABASE_URL: 'file:/srv/grc/db/main.db' });
    expect(sqlite).toMatchObject({ provider: 'sqlite', dataDir: '/srv/grc/db' });
    expect(sqlite.auth.keyFile).toBe(join('/srv/grc/db', 'jwt-keys.json'));
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['True', true],
    ['1', true],
    ['yes', true],
    ['YES', true],
    [' yes ', true],
    ['false', false],
    ['FALSE', false],
    ['False', false],
    ['0', false],
    ['no', false],
    ['No', false],
  ])('reads VIEW_APIS=%j as %s', (value, expected) => {
    expect(loadConfig({ VIEW_APIS: value }).viewApis).toBe(expected);
  });

  it('compiles queries with graphql-jit unless GRAPHQL_JIT is false', () => {
    expect(loadConfig({}).graphqlJit).toBe(true);
    expect(loadConfig({ GRAPHQL_JIT: 'false' }).graphqlJit).toBe(false);
    expect(() => loadConfig({ GRAPHQL_JIT: 'sometimes' })).toThrow(/GRAPHQL_JIT/);
  });

  it('takes an empty variable as unset', () => {
    const config = loadConfig({
      PORT: '',
      DATABASE_URL: '',
      VIEW_APIS: '',
      LOG_LEVEL: '',
      SESSION_TIMEOUT_MINUTES: '',
      ADMIN_USERNAME: '',
      // Empty, so not "too short".
      ADMIN_PASSWORD: '',
    });
    expect(config).toMatchObject({
      port: 4000,
      databaseUrl: 'file:./data/grc.db',
      provider: 'sqlite',
      viewApis: true,
      logLevel: 'info',
      auth: { sessionTimeoutMinutes: 60 },
      admin: { userName: 'admin', password: undefined },
    });
  });

  it.each<Record<string, string>>([
    { PORT: 'abc' },
    { PORT: '70000' },
    { PORT: '-1' },
    { PORT: '1.5' },
    { VIEW_APIS: 'maybe' },
    { LOG_LEVEL: 'loud' },
    { DATABASE_URL: 'mysql://x' },
    { SESSION_TIMEOUT_MINUTES: '0' },
    { MIGRATE_ON_START: 'sometimes' },
    { DB_POOL_SIZE: 'many' },
    { CORS_ORIGINS: 'app.example.com' },
    { TRUSTED_DOCUMENTS: 'on' },
    { ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'short' },
  ])('refuses %j, naming the variable', (env) => {
    const name = Object.keys(env).at(-1) ?? '';
    const error = configError(env);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(new RegExp(`^${name}: \\S`));
    expect(error.message).toContain(error.problems[0]);
  });

  it('says why a short ADMIN_PASSWORD is refused', () => {
    expect(configError({ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'elevenchars' }).problems).toEqual([
      'ADMIN_PASSWORD: must be at least 12 characters',
    ]);
  });

  it('takes ADMIN_PASSWORD alone for the user admin, as documented', () => {
    expect(loadConfig({ ADMIN_PASSWORD: 'a long enough password' }).admin).toEqual({
      userName: 'admin',
      password: 'a long enough password',
    });
    expect(loadConfig({ ADMIN_USERNAME: '', ADMIN_PASSWORD: 'a long enough password' }).admin).toEqual({
      userName: 'admin',
      password: 'a long enough password',
    });
  });

  it('still checks ADMIN_PASSWORD when it comes alone', () => {
    expect(configError({ ADMIN_PASSWORD: 'elevenchars' }).problems).toEqual([
      'ADMIN_PASSWORD: must be at least 12 characters',
    ]);
  });

  it('reports every bad variable at once', () => {
    const error = configError({
      PORT: 'abc',
      VIEW_APIS: 'maybe',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://x',
      SESSION_TIMEOUT_MINUTES: '0',
      HOST: '127.0.0.1',
    });
    expect(named(error)).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT', 'SESSION_TIMEOUT_MINUTES', 'VIEW_APIS']);
    for (const problem of error.problems) expect(error.message).toContain(problem);
  });
});

describe('strict parsing', () => {
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it.each([' ', '0x10', '1e3', '1.0', '+80'])('refuses PORT=%j: only decimal digits are a number', (value) => {
    expect(problemsOf({ PORT: value })).toEqual([expect.stringMatching(/^PORT: /)]);
  });

  it.each([
    ['true', true],
    ['no', false],
    ['127.0.0.1', [{ address: '127.0.0.1', prefix: 32, family: 'ipv4' }]],
    [
      '10.0.0.0/8, ::1 ,fd00::/8',
      [
        { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
        { address: '::1', prefix: 128, family: 'ipv6' },
        { address: 'fd00::', prefix: 8, family: 'ipv6' },
      ],
    ],
  ])('reads TRUST_PROXY=%j', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it.each([
    'maybe',
    '10.0.0.0/33',
    '::1/129',
    '10.0.0.0/',
    '10.0.0/8',
    '10.0.0.1,',
    'fd00::/8/1',
    'localhost',
    '10.0.0.0/08x',
  ])('refuses TRUST_PROXY=%j, naming the entry', (value) => {
    const problems = problemsOf({ TRUST_PROXY: value });
    expect(problems).toEqual([expect.stringMatching(/^TRUST_PROXY: must be true, false or a comma-separated list/)]);
  });

  it('reads REDIS_URL, REDIS_KEY_PREFIX and REDIS_TIMEOUT_MS', () => {
    expect(
      loadConfig({ REDIS_URL: 'rediss://:s3cret@cache:6380/2', REDIS_KEY_PREFIX: 'blue:', REDIS_TIMEOUT_MS: '250' })
        .limits,
    ).toEqual({ redisUrl: 'rediss://:s3cret@cache:6380/2', redisKeyPrefix: 'blue:', redisTimeoutMs: 250 });
  });

  it('refuses a REDIS_URL that is not redis:// or rediss://, without repeating it', () => {
    const problems = problemsOf({ REDIS_URL: 'http://:s3cret@cache:6379', REDIS_TIMEOUT_MS: '10' });
    expect(problems).toEqual([
      'REDIS_URL: must start with redis:// or rediss://',
      expect.stringMatching(/^REDIS_TIMEOUT_MS: /),
    ]);
    expect(problems.join('\n')).not.toContain('s3cret');
  });

  it('refuses a file: URL without a file', () => {
    expect(problemsOf({ DATABASE_URL: 'file:' })).toEqual([expect.stringMatching(/^DATABASE_URL: /)]);
  });

  it('finds no problem in ADMIN_PASSWORD without ADMIN_USERNAME beside other problems', () => {
    const found = problemsOf({ PORT: 'abc', ADMIN_PASSWORD: 'long enough password' });
    expect(found.map((p) => p.split(':')[0])).toEqual(['PORT']);
  });

  it('reports a short ADMIN_PASSWORD without ADMIN_USERNAME beside other problems', () => {
    const found = problemsOf({ PORT: 'abc', ADMIN_PASSWORD: 'short' });
    expect(found.map((p) => p.split(':')[0]).sort()).toEqual(['ADMIN_PASSWORD', 'PORT']);
  });

  describe('secrets from files (NAME_FILE)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'grc-config-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, content: string) => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    };

    it('reads ADMIN_PASSWORD_FILE and DATABASE_URL_FILE, less one final newline', () => {
      const config = loadConfig({
        ADMIN_PASSWORD_FILE: file('admin-password', 'a password from a file \n'),
        DATABASE_URL_FILE: file('database-url', 'postgresql://grc:secret@db:5432/grc\r\n'),
      });
      expect(config.admin.password).toBe('a password from a file ');
      expect(config.databaseUrl).toBe('postgresql://grc:secret@db:5432/grc');
      expect(config.provider).toBe('postgresql');
    });

    it('refuses NAME and NAME_FILE together, an unreadable file and an empty one, naming the variable', () => {
      const problems = problemsOf({
        ADMIN_PASSWORD: 'a long enough password',
        ADMIN_PASSWORD_FILE: file('unused', 'another long password'),
        DATABASE_URL_FILE: join(dir, 'missing'),
      });
      expect(problems.sort()).toEqual([
        'ADMIN_PASSWORD_FILE: set ADMIN_PASSWORD or ADMIN_PASSWORD_FILE, not both',
        `DATABASE_URL_FILE: cannot read ${join(dir, 'missing')} (ENOENT)`,
      ]);
      expect(problemsOf({ DATABASE_URL_FILE: file('empty', '\n') })).toEqual([
        `DATABASE_URL_FILE: ${join(dir, 'empty')} is empty`,
      ]);
    });

    it('checks a value read from a file by the same rule, under the _FILE name, without the secret', () => {
      const problems = problemsOf({ ADMIN_PASSWORD_FILE: file('short', 'elevenchars\n') });
      expect(problems).toEqual(['ADMIN_PASSWORD_FILE: must be at least 12 characters']);
      expect(problems.join('\n')).not.toContain('elevenchars');
    });
  });
});

describe('tracing (standard OTEL_* variables)', () => {
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };

  it.each([
    ['nothing', {}, false],
    ['an OTLP endpoint', endpoint, true],
    ['a traces endpoint', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector/v1/traces' }, true],
    ['OTEL_TRACES_EXPORTER=otlp alone (the default endpoint)', { OTEL_TRACES_EXPORTER: 'otlp' }, true],
    ['an endpoint and OTEL_TRACES_EXPORTER=none', { ...endpoint, OTEL_TRACES_EXPORTER: 'none' }, false],
    ['an endpoint and OTEL_SDK_DISABLED=true', { ...endpoint, OTEL_SDK_DISABLED: 'true' }, false],
    ['an empty endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: '' }, false],
  ])('with %s, tracing is %s', (_case, env: Record<string, string>, enabled) => {
    expect(loadConfig(env).tracing.enabled).toBe(enabled);
  });

  it('takes the traces protocol over the general one', () => {
    expect(loadConfig({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).tracing.protocol).toBe('http/json');
    expect(
      loadConfig({
        ...endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
      }).tracing.protocol,
    ).toBe('http/protobuf');
  });

  it('refuses what the server cannot honour, naming each variable', () => {
    const error = configError({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317',
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_TRACES_SAMPLER: 'sometimes',
      OTEL_TRACES_SAMPLER_ARG: '2',
    });
    expect(named(error)).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_TRACES_EXPORTER',
      'OTEL_TRACES_SAMPLER',
      'OTEL_TRACES_SAMPLER_ARG',
    ]);
    expect(error.message).toContain('OTLP over gRPC is not supported');
  });
});
