/**
 * `npm run keys:rotate`: puts a new signing key in front of the key file.
 * Running servers pick it up within a minute; tokens signed with the older
 * keys keep verifying until they expire.
 */

import { rotateKeyFile } from '../auth/keys.ts';
import { ConfigError, loadConfig } from '../config.ts';

try {
  const config = loadConfig();
  if (config.auth.signingKeys) {
    console.error(
      'JWT_SIGNING_KEYS is set: rotate by putting a new key first in it (keep the old public keys after it).',
    );
    process.exit(1);
  }
  const key = await rotateKeyFile(config.auth.keyFile, config.serviceAccounts.maxDays);
  console.log(`New signing key ${key.kid} in ${config.auth.keyFile}`);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `Rotation failed: ${(error as Error).message}`);
  process.exit(1);
}
