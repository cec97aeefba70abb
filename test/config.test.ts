import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('has documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      databaseUrl: 'file:./data/grc.db',
      provider: 'sqlite',
      viewApis: true,
      migrateOnStart: true,
      logLevel: 'info',
      auth: { sessionTimeoutMinutes: 60, issuer: 'grc-api', audience: 'grc-api', clockToleranceSeconds: 30 },
      serviceAccounts: { maxDays: 365 },
      admin: { userName: 'admin', password: undefined },
    });
    expect(config.auth.keyFile).toMatch(/data\/jwt-keys\.json$/);
  });

  it('chooses the provider from DATABASE_URL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgresql://u@h:5432/db' }).provider).toBe('postgresql');
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).provider).toBe('postgresql');
    expect(loadConfig({ DATABASE_URL: 'file:/tmp/x.db' }).provider).toBe('sqlite');
  });

  it('reads booleans in the usual spellings, and empty as unset', () => {
    for (const [value, expected] of [
      ['false', false],
      ['FALSE', false],
      ['0', false],
      ['no', false],
      ['true', true],
      ['Yes', true],
      ['1', true],
      ['', true],
    ] as const) {
      expect(loadConfig({ VIEW_APIS: value }).viewApis).toBe(expected);
    }
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '1.5'],
    ['VIEW_APIS', 'maybe'],
    ['MIGRATE_ON_START', 'sometimes'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'mysql://root@localhost/x'],
    ['SESSION_TIMEOUT_MINUTES', '0'],
    ['SERVICE_ACCOUNT_MAX_DAYS', '-1'],
    ['DB_POOL_SIZE', 'many'],
    ['REVOCATION_POLL_MS', '1'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    const found = problems({ [name]: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^${name}: `));
  });

  it('refuses a short ADMIN_PASSWORD and one without ADMIN_USERNAME', () => {
    expect(problems({ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'short' })[0]).toMatch(/^ADMIN_PASSWORD: /);
    expect(problems({ ADMIN_PASSWORD: 'long enough password' })[0]).toMatch(/^ADMIN_PASSWORD: .*ADMIN_USERNAME/);
  });

  it('reports every bad variable at once', () => {
    const found = problems({ PORT: 'x', VIEW_APIS: 'perhaps', LOG_LEVEL: 'chatty' });
    expect(found.map((p) => p.split(':')[0]).sort()).toEqual(['LOG_LEVEL', 'PORT', 'VIEW_APIS']);
    const error = (() => {
      try {
        loadConfig({ PORT: 'x' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toContain('PORT');
  });
});
