import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * Paths that may hold a secret. pino replaces them before a line is written,
 * so a careless `log.info({ req })` cannot leak a token or a password.
 */
const redact = [
  'authorization',
  'password',
  'token',
  '*.authorization',
  '*.password',
  '*.token',
  '*.headers.authorization',
  '*.headers.cookie',
  'variables.password',
  'variables.*.password',
];

/** JSON-lines logger; `level: 'silent'` for tests. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: redact, censor: '[redacted]' }, base: { service: 'grc-api' } }, destination);
}
