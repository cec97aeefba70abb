import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  importPKCS8,
  type JSONWebKeySet,
  type JWK,
} from 'jose';

/** The signature algorithms the server signs and accepts. Nothing else verifies. */
export const algorithms = ['EdDSA', 'ES256'] as const;
export type Algorithm = (typeof algorithms)[number];

/** A stored signing key: a private JWK with its id, algorithm and dates. */
export interface StoredKey extends JWK {
  kid: string;
  alg: Algorithm;
  /** ISO date the key was made. */
  created?: string;
  /** ISO date a newer key took over signing; verification goes on until tokens signed with it expire. */
  retired?: string;
}

interface LoadedKey {
  kid: string;
  alg: Algorithm;
  publicKey: CryptoKey;
  publicJwk: JWK;
  privateKey?: CryptoKey;
}

/** The key file's shape: the signing key first, older keys after it. */
interface KeyFile {
  keys: StoredKey[];
}

/** Raised when configured keys cannot be used; the message says why, never the key. */
export class KeyConfigError extends Error {
  override name = 'KeyConfigError';
}

function algorithmOf(jwk: JWK): Algorithm {
  if (jwk.alg && (algorithms as readonly string[]).includes(jwk.alg)) return jwk.alg as Algorithm;
  if (jwk.alg) throw new KeyConfigError(`unsupported key algorithm ${jwk.alg}; use EdDSA (Ed25519) or ES256 (P-256)`);
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  throw new KeyConfigError('unsupported key type; use an Ed25519 (EdDSA) or P-256 (ES256) key');
}

function publicPart({ kty, crv, x, y }: JWK): JWK {
  return Object.fromEntries(Object.entries({ kty, crv, x, y }).filter(([, v]) => v !== undefined));
}

async function load(jwk: JWK): Promise<LoadedKey> {
  const alg = algorithmOf(jwk);
  const publicJwk = publicPart(jwk);
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicJwk));
  const publicKey = (await importJWK({ ...publicJwk, alg }, alg)) as CryptoKey;
  const privateKey = jwk.d ? ((await importJWK({ ...jwk, alg }, alg)) as CryptoKey) : undefined;
  return { kid, alg, publicKey, privateKey, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } };
}

/** Parses `JWT_SIGNING_KEYS`: a JWKS, one JWK, or a PKCS#8 PEM private key. */
async function parseConfiguredKeys(text: string): Promise<JWK[]> {
  if (text.startsWith('-----BEGIN')) {
    for (const alg of algorithms) {
      try {
        const key = await importPKCS8(text, alg, { extractable: true });
        return [{ ...(await exportJWK(key)), alg }];
      } catch {
        // try the next algorithm
      }
    }
    throw new KeyConfigError('JWT_SIGNING_KEYS: the PEM is not a PKCS#8 Ed25519 or P-256 private key');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KeyConfigError('JWT_SIGNING_KEYS: neither a PEM private key nor JSON (a JWK or a JWKS)');
  }
  const keys = (parsed as JSONWebKeySet).keys ?? [parsed];
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'object' || k === null)) {
    throw new KeyConfigError('JWT_SIGNING_KEYS: expected a JWK or a JWKS ({"keys": [...]})');
  }
  return keys as JWK[];
}

/** Makes a new Ed25519 signing key with its thumbprint as `kid`. */
export async function generateSigningKey(now = new Date()): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(publicPart(jwk));
  return { ...jwk, kid, alg: 'EdDSA', created: now.toISOString() };
}

function readKeyFile(path: string): KeyFile {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
  if (!Array.isArray(parsed.keys) || parsed.keys.length === 0) {
    throw new KeyConfigError(`${path}: no keys in the key file`);
  }
  return parsed;
}

/** Writes a key file readable by its owner only, atomically (never half-written). */
function writeKeyFile(path: string, file: KeyFile, { exclusive }: { exclusive: boolean }): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  try {
    // link() fails if the file exists: when instances start together, one wins.
    if (exclusive) linkSync(tmp, path);
    else renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Reads the key file, creating it with a new key when it does not exist.
 * Instances sharing the data folder share the file, hence the keys.
 */
function ensureKeyFile(path: string): KeyFile {
  try {
    return readKeyFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return { keys: [] };
}

/**
 * Puts a new signing key in front of the key file; the previous keys are
 * kept for verification, and those retired longer ago than `retentionDays`
 * (the longest a token signed with them can live) are dropped.
 */
export async function rotateKeyFile(path: string, retentionDays: number, now = new Date()): Promise<StoredKey> {
  const current = ensureKeyFile(path).keys;
  const cutoff = now.getTime() - retentionDays * 86_400_000;
  const kept = current
    .map((k, i) => (i === 0 && !k.retired ? { ...k, retired: now.toISOString() } : k))
    .filter((k) => !k.retired || Date.parse(k.retired) >= cutoff);
  const key = await generateSigningKey(now);
  writeKeyFile(path, { keys: [key, ...kept] }, { exclusive: false });
  return key;
}

export interface KeyStoreOptions {
  /** `JWT_SIGNING_KEYS`, when configured. */
  configured: string | undefined;
  /** The key file used when no keys are configured. */
  keyFile: string;
}

/**
 * The server's signing key and the public keys it accepts. Keys come from
 * configuration or from the key file; a key file rotated while the server
 * runs is picked up when a token names a key id not yet known, and a key
 * removed from it stops verifying (cached tokens included) at the next
 * {@link KeyStore.refreshIfChanged}.
 */
export class KeyStore {
  #keys: LoadedKey[] = [];
  #signing!: LoadedKey & { privateKey: CryptoKey };
  #fileMtime = 0;
  #lastReload = 0;

  private constructor(private readonly options: KeyStoreOptions) {}

  static async open(options: KeyStoreOptions): Promise<KeyStore> {
    const store = new KeyStore(options);
    await store.#load();
    return store;
  }

  async #load(): Promise<void> {
    let jwks: JWK[];
    if (this.options.configured) {
      jwks = await parseConfiguredKeys(this.options.configured);
    } else {
      let file = ensureKeyFile(this.options.keyFile);
      if (file.keys.length === 0) {
        try {
          writeKeyFile(this.options.keyFile, { keys: [await generateSigningKey()] }, { exclusive: true });
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        file = readKeyFile(this.options.keyFile);
      }
      this.#fileMtime = statSync(this.options.keyFile).mtimeMs;
      jwks = file.keys;
    }
    const keys = await Promise.all(jwks.map(load));
    const signing = keys.find((k) => k.privateKey);
    if (!signing?.privateKey) throw new KeyConfigError('no private key to sign with among the configured keys');
    this.#keys = keys;
    this.#signing = signing as LoadedKey & { privateKey: CryptoKey };
  }

  /** The key new tokens are signed with. */
  get signingKey(): { kid: string; alg: Algorithm; key: CryptoKey } {
    return { kid: this.#signing.kid, alg: this.#signing.alg, key: this.#signing.privateKey };
  }

  /**
   * The public key with this id, re-reading a changed key file (at most
   * every 5 seconds) before giving up on an unknown id.
   */
  async verificationKey(kid: string): Promise<{ key: CryptoKey; alg: Algorithm; kid: string } | undefined> {
    let found = this.#keys.find((k) => k.kid === kid);
    if (!found && Date.now() - this.#lastReload > 5000) {
      this.#lastReload = Date.now();
      await this.refreshIfChanged();
      found = this.#keys.find((k) => k.kid === kid);
    }
    // The store's own string for the id: `has` then finds it by reference, without comparing characters.
    return found && { key: found.publicKey, alg: found.alg, kid: found.kid };
  }

  /** Whether a key with this id verifies tokens now (no reload: cheap enough for every request). */
  has(kid: string): boolean {
    const keys = this.#keys;
    for (let i = 0; i < keys.length; i++) if (keys[i]?.kid === kid) return true;
    return false;
  }

  /**
   * Re-reads the key file when it changed (a rotation by another instance or
   * by `npm run keys:rotate`). A file that cannot be read leaves the keys as
   * they are. Called on a timer and when a token names an unknown key.
   */
  async refreshIfChanged(): Promise<void> {
    if (this.options.configured) return;
    try {
      if (statSync(this.options.keyFile).mtimeMs !== this.#fileMtime) await this.#load();
    } catch {
      // keep the keys we have
    }
  }

  /** The public keys as a JWKS, for `/.well-known/jwks.json`. */
  jwks(): JSONWebKeySet {
    return { keys: this.#keys.map((k) => k.publicJwk) };
  }
}
