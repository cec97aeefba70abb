/** The database providers the server runs on. */
export type Provider = 'sqlite' | 'postgresql';

export const providers: readonly Provider[] = ['sqlite', 'postgresql'];

/** The SQLite file used when `DATABASE_URL` is unset. */
export const defaultDatabaseUrl = 'file:./data/grc.db';

/**
 * Tells which provider a database URL is for: `file:` is SQLite,
 * `postgres://` and `postgresql://` are PostgreSQL. Anything else is a
 * caller mistake.
 */
export function providerOf(url: string): Provider {
  if (url.startsWith('file:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgresql';
  throw new TypeError('database URL must start with file:, postgres:// or postgresql://');
}
