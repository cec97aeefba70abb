/**
 * The one command-line rule every script follows: arguments parsed
 * strictly (`node:util` parseArgs); `-h`/`--help` prints the usage and exits
 * 0 having done nothing; an unknown flag, a missing value or a stray
 * argument prints the synopsis and exits 2 having done nothing; a refusal or
 * failure exits 1 with one line, not a stack.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** What a script accepts and how it describes itself. */
export interface CommandSpec<O extends Options> {
  /** One line, `usage: npm run NAME -- …`, printed with every usage error. */
  synopsis: string;
  /** The rest of the `--help` text: what it does, each option, the exit codes. */
  help: string;
  /** Its options; `-h`/`--help` is added. */
  options: O;
  /** How many positional arguments it takes at most. @default 0 */
  maxPositionals?: number;
}

/** The parsed values: each option's string (or strings, `multiple`), or `true` for a flag. */
export type Values<O extends Options> = {
  -readonly [K in keyof O]?: O[K] extends { type: 'string'; multiple: true }
    ? string[]
    : O[K] extends { type: 'string' }
      ? string
      : boolean;
};

/** A failure that ends the command with a message and an exit code: 1 refused or failed, 2 usage error. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

/** A usage error (exit code 2) that repeats the synopsis. */
export function usageError(spec: { synopsis: string }, message: string): CommandError {
  return new CommandError(`${message}\n${spec.synopsis}\n(--help for more)`, 2);
}

function exitWith(error: CommandError): never {
  process.stderr.write(`${error.message.trimEnd()}\n`);
  process.exit(error.exitCode);
}

/** Prints a usage error with the synopsis and exits 2: for checks `parseCommandLine` cannot make. */
export function exitWithUsageError(spec: { synopsis: string }, message: string): never {
  exitWith(usageError(spec, message));
}

/**
 * Parses the command line by `spec`. On `--help` it prints the usage and
 * exits 0; on a usage error it prints it with the synopsis and exits 2. Both
 * exit before the script has done anything, so call it first.
 */
export function parseCommandLine<const O extends Options>(
  spec: CommandSpec<O>,
  argv = process.argv.slice(2),
): { values: Values<O>; positionals: string[] } {
  let parsed: { values: Values<O> & { help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { ...spec.options, help: { type: 'boolean', short: 'h' } },
    }) as typeof parsed;
  } catch (error) {
    exitWithUsageError(spec, (error as Error).message);
  }
  if (parsed.values.help) {
    process.stdout.write(`${spec.synopsis}\n\n${spec.help.trimEnd()}\n`);
    process.exit(0);
  }
  const extra = parsed.positionals[spec.maxPositionals ?? 0];
  if (extra !== undefined) exitWithUsageError(spec, `Unexpected argument '${extra}'`);
  return parsed;
}

/**
 * Runs a command's body and sets the exit code: the number it answers (else 0); a
 * `CommandError`'s code with its message; 1 with one line for anything else.
 * `exit: true` ends the process at once afterwards (the schema engine leaves
 * timers behind).
 */
export async function runCommand(
  name: string,
  main: () => Promise<unknown>,
  { exit = false }: { exit?: boolean } = {},
): Promise<void> {
  try {
    const code = await main();
    process.exitCode = typeof code === 'number' ? code : 0;
  } catch (error) {
    const message =
      error instanceof CommandError ? error.message : `${name} failed: ${(error as Error)?.message ?? error}`;
    process.stderr.write(`${message.trimEnd()}\n`);
    process.exitCode = error instanceof CommandError ? error.exitCode : 1;
  }
  if (exit) process.exit();
}
