/**
 * `npm run keys:rotate`: puts a new signing key in front of the key file.
 * Running servers pick it up within a minute; tokens signed with the older
 * keys keep verifying until they expire.
 */

import { rotateKeyFile } from '../auth/keys.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { CommandError, parseCommandLine, runCommand } from './args.ts';

parseCommandLine({
  synopsis: 'usage: npm run keys:rotate',
  help: `Puts a new signing key in front of the key file (JWT_KEY_FILE, else jwt-keys.json
beside the SQLite database): it signs from then on; the older public keys keep
verifying until their tokens expire. Running servers pick it up within a minute.
With JWT_SIGNING_KEYS set there is no key file: rotate in that variable instead.

  -h, --help  print this help and do nothing else

Exit codes: 0 rotated, 1 refused or failed (nothing changed), 2 usage error.
`,
  options: {},
});

await runCommand('keys:rotate', async () => {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    throw new CommandError(error instanceof ConfigError ? error.message : String(error), 1);
  }
  if (config.auth.signingKeys) {
    throw new CommandError(
      'JWT_SIGNING_KEYS is set: rotate by putting a new key first in it (keep the old public keys after it).',
      1,
    );
  }
  const key = await rotateKeyFile(config.auth.keyFile, config.serviceAccounts.maxDays);
  console.log(`New signing key ${key.kid} in ${config.auth.keyFile}`);
});
