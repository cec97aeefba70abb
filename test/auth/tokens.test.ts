import { randomUUID } from 'node:crypto';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateKeyFile } from '../../src/auth/keys.ts';
import { TokenService } from '../../src/auth/tokens.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The same bytes spelled differently: the last character's lowest spare bit set. A segment
 * whose length is 2 or 3 mod 4 has 4 or 2 spare bits, which decoders ignore.
 */
function respell(segment: string): string {
  const last = alphabet.indexOf(segment.at(-1) ?? '');
  return segment.slice(0, -1) + alphabet[last ^ 1];
}
const meQuery = '{ me { userName roles kind } }';

describe.each(testProviders)('tokens on %s', (provider) => {
  let app: TestApp;
  let token: string;

  beforeAll(async () => {
    app = await startTestApp(provider);
    token = await app.login(adminUserName, adminPassword);
  });
  afterAll(() => app.close());

  async function expectRefused(authorization: string) {
    const gql = await app.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ query: meQuery }),
    });
    expect(gql.status).toBe(401);
    const body = await gql.json();
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(body.data ?? null).toBeNull();
    // Login itself is anonymous (it ignores the header, as RegScale's older clients need): a REST route that reads it.
    const rest = await app.fetch('/api/issues/getAll?take=1', { headers: { authorization } });
    expect(rest.status).toBe(401);
    expect(rest.headers.get('www-authenticate')).toBe('Bearer realm="grc-api", error="invalid_token"');
    expect((await rest.json()).error.code).toBe('UNAUTHENTICATED');
  }

  it('says in me what the caller may put on a service-account token, and for how long at most', async () => {
    const { body } = await app.graphql('{ me { grantableRoles serviceAccountMaxDays } }', {}, token);
    // An administrator holding ADMINISTRATOR alone grants it and the read-only AUDITOR, not ISSUE_MANAGER.
    expect(body.data).toEqual({ me: { grantableRoles: ['ADMINISTRATOR', 'AUDITOR'], serviceAccountMaxDays: 365 } });
  });

  it('carries the documented header and claims', () => {
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    expect(header.kid).toBeTypeOf('string');
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: 'grc-api',
      aud: 'grc-api',
      kind: 'user',
      name: adminUserName,
      roles: ['ADMINISTRATOR'],
    });
    for (const claim of ['sub', 'jti', 'iat', 'nbf', 'exp']) expect(claims[claim]).toBeDefined();
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(60 * 60);
  });

  it('accepts a valid token', async () => {
    const { status, body } = await app.graphql(meQuery, {}, token);
    expect(status).toBe(200);
    expect(body.data).toEqual({ me: { userName: adminUserName, roles: ['ADMINISTRATOR'], kind: 'USER' } });
  });

  it('refuses an expired token, within the clock tolerance only', async () => {
    const exp = (decodeJwt(token).exp ?? 0) * 1000;
    const saved = app.clock.now;
    try {
      app.clock.now = new Date(exp + 20_000); // inside the 30 s tolerance
      expect((await app.graphql(meQuery, {}, token)).status).toBe(200);
      app.clock.now = new Date(exp + 31_000);
      await expectRefused(`Bearer ${token}`);
    } finally {
      app.clock.now = saved;
    }
  });

  it('refuses a token that is not yet valid', async () => {
    const saved = app.clock.now;
    app.clock.now = new Date(saved.getTime() + 10 * 60_000);
    const future = await app.login(adminUserName, adminPassword);
    app.clock.now = saved;
    await expectRefused(`Bearer ${future}`);
  });

  it('refuses a token signed by another key, even with our kid', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const { kid } = decodeProtectedHeader(token);
    const forged = await new SignJWT(decodeJwt(token))
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: kid ?? '' })
      .sign(privateKey);
    await expectRefused(`Bearer ${forged}`);
    const unknownKid = await new SignJWT(decodeJwt(token))
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'someone-else' })
      .sign(privateKey);
    await expectRefused(`Bearer ${unknownKid}`);
  });

  it('refuses alg none', async () => {
    const [header, payload] = token.split('.');
    const h = JSON.parse(Buffer.from(header ?? '', 'base64url').toString());
    await expectRefused(`Bearer ${b64({ ...h, alg: 'none' })}.${payload}.`);
    await expectRefused(`Bearer ${b64({ ...h, alg: 'none' })}.${payload}.c2ln`);
  });

  it('refuses an HS256 token made with the public key as secret (algorithm confusion)', async () => {
    const jwks = await (await app.fetch('/.well-known/jwks.json')).json();
    const publicJwk = jwks.keys[0];
    const { kid } = decodeProtectedHeader(token);
    for (const secret of [JSON.stringify(publicJwk), publicJwk.x]) {
      const forged = await new SignJWT({ ...decodeJwt(token), roles: ['ADMINISTRATOR'] })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: kid ?? '' })
        .sign(new TextEncoder().encode(secret));
      await expectRefused(`Bearer ${forged}`);
    }
  });

  it('refuses a tampered payload', async () => {
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
    await expectRefused(
      `Bearer ${header}.${b64({ ...claims, roles: ['ADMINISTRATOR', 'ISSUE_MANAGER'] })}.${signature}`,
    );
    await expectRefused(`Bearer ${header}.${b64({ ...claims, exp: claims.exp + 3600 })}.${signature}`);
  });

  it('refuses the wrong issuer, audience or type, signed with our own key', async () => {
    const sign = (issuer: string, audience: string) =>
      new TokenService({ keys: app.auth.keys, issuer, audience, clockToleranceSeconds: 0 }).sign({
        kind: 'user',
        subject: 'x',
        userName: adminUserName,
        roles: ['ADMINISTRATOR'],
        expiresAt: new Date(Date.now() + 60_000),
      });
    await expectRefused(`Bearer ${(await sign('someone-else', 'grc-api')).token}`);
    await expectRefused(`Bearer ${(await sign('grc-api', 'another-api')).token}`);
    const { kid, key, alg } = app.auth.keys.signingKey;
    const wrongTyp = await new SignJWT(decodeJwt(token)).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(key);
    await expectRefused(`Bearer ${wrongTyp}`);
  });

  it('refuses malformed Authorization headers, also around a token verified before', async () => {
    // The token is in the cache of verified tokens: no other spelling of the header reaches it.
    expect((await app.graphql(meQuery, {}, token)).status).toBe(200);
    for (const header of [
      `Bearer  ${token}`,
      `Bearer\t${token}`,
      `Bearer${token}`,
      token,
      `XBearer ${token}`,
      `Bearer ${token}.`,
      `Bearer ${token};`,
      'Bearer',
      'Bearer ',
      `Basic ${Buffer.from('a:b').toString('base64')}`,
      `Token ${token}`,
      `Bearer ${token} extra`,
      `Bearer ${token.slice(0, -1)}!`,
      'Bearer a.b',
      'Bearer a.b.c',
      `Bearer ${'!'.repeat(20)}.${'a'.repeat(20)}.${'b'.repeat(20)}`,
      `Bearer ${'a'.repeat(5000)}.b.c`,
      `Bearer ${b64({ alg: 'EdDSA' })}.bm90LWpzb24.c2ln`,
    ]) {
      await expectRefused(header);
    }
  });

  it('refuses the header and payload of a verified token with any signature but its own', async () => {
    // The cache of verified tokens holds each token's header and payload, which are no secret:
    // only the very same signature is a hit.
    const token = await app.login(adminUserName, adminPassword);
    const other = await app.login(adminUserName, adminPassword);
    expect((await app.graphql(meQuery, {}, token)).status).toBe(200);
    expect((await app.graphql(meQuery, {}, other)).status).toBe(200);
    const dot = token.lastIndexOf('.');
    const signingInput = token.slice(0, dot);
    const signature = token.slice(dot + 1);
    const changedAt = (i: number) => {
      const c = alphabet[(alphabet.indexOf(signature[i] ?? '') + 1) % 32] ?? 'A';
      return `${signingInput}.${signature.slice(0, i)}${c}${signature.slice(i + 1)}`;
    };
    const refusedBefore = app.logs.filter((l) => l.includes('"reason":"bad_signature"')).length;
    for (const forged of [
      changedAt(0),
      changedAt(40),
      changedAt(signature.length - 2),
      `${signingInput}.${other.slice(other.lastIndexOf('.') + 1)}`,
      `${signingInput}.${signature.slice(0, -2)}`,
      `${signingInput}.${signature}AA`,
      `${signingInput}.`,
      // The same length, with a dot inside the signature.
      `${signingInput}.${signature.slice(0, 40)}.${signature.slice(41)}`,
    ]) {
      await expectRefused(`Bearer ${forged}`);
    }
    // A character beyond ASCII (a header carries Latin-1), in place of one of the signature's, at
    // the end, in the middle and first: refused too.
    await expectRefused(`Bearer ${signingInput}.${signature.slice(0, -1)}\u00ff`);
    await expectRefused(`Bearer ${signingInput}.${signature.slice(0, 10)}\u00e9${signature.slice(11)}`);
    await expectRefused(`Bearer ${signingInput}.\u0080${signature.slice(1)}`);
    expect(
      app.logs.filter((l) => l.includes('"reason":"bad_signature"')).length - refusedBefore,
    ).toBeGreaterThanOrEqual(4);
    // The genuine tokens are still answered.
    const me = await app.graphql(meQuery, {}, token);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ data: { me: { userName: adminUserName } } });
    expect((await app.graphql(meQuery, {}, other)).status).toBe(200);
  });

  it('refuses the signature of a verified token under any other header or payload of the same length', async () => {
    // The cache compares the header and payload as plain 8-byte words (they are no secret) and
    // the signature masked: a change anywhere, in every position of a word, is a miss and refused.
    const token = await app.login(adminUserName, adminPassword);
    expect((await app.graphql(meQuery, {}, token)).status).toBe(200);
    expect(app.auth.tokens.cached(token)).toBeDefined();
    const dot = token.lastIndexOf('.');
    const changedAt = (i: number) => {
      const c = alphabet[(alphabet.indexOf(token[i] ?? '') + 1) % 32] ?? 'A';
      return `${token.slice(0, i)}${c}${token.slice(i + 1)}`;
    };
    const firstDot = token.indexOf('.');
    // The first characters, each position of one 8-byte word in the payload, and the last ones
    // before the signature (in the word the signature starts in, or the one before it).
    const positions = [0, 1, firstDot - 1, firstDot + 1, ...Array.from({ length: 8 }, (_, k) => firstDot + 40 + k)];
    positions.push(dot - 9, dot - 8, dot - 2, dot - 1);
    for (const at of positions) {
      const forged = changedAt(at);
      expect(forged.length).toBe(token.length);
      expect(forged).not.toBe(token);
      expect(app.auth.tokens.cached(forged), `a change at ${at}`).toBeUndefined();
    }
    for (const at of [1, firstDot + 43, dot - 1]) await expectRefused(`Bearer ${changedAt(at)}`);
    // The dots moved or made something else: refused as well.
    await expectRefused(`Bearer ${token.slice(0, firstDot)}A${token.slice(firstDot + 1)}`);
    expect(app.auth.tokens.cached(token)).toBeDefined();
    expect((await app.graphql(meQuery, {}, token)).status).toBe(200);
  });

  it('publishes a JWKS that an independent verifier accepts', async () => {
    const http = createHttpServer(app.server);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = http.address() as AddressInfo;
      const jwks = createRemoteJWKSet(new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`));
      const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: 'grc-api', audience: 'grc-api' });
      expect(payload.name).toBe(adminUserName);
      expect(protectedHeader.alg).toBe('EdDSA');
      const body = await (await fetch(`http://127.0.0.1:${port}/.well-known/jwks.json`)).json();
      for (const key of body.keys) expect(key.d).toBeUndefined();
    } finally {
      http.close();
    }
  });

  it('signs with a rotated key while older tokens keep verifying', async () => {
    const oldKid = decodeProtectedHeader(token).kid;
    const rotated = await rotateKeyFile(app.config.auth.keyFile, 365);
    await app.auth.keys.refreshIfChanged();
    const fresh = await app.login(adminUserName, adminPassword);
    expect(decodeProtectedHeader(fresh).kid).toBe(rotated.kid);
    expect(rotated.kid).not.toBe(oldKid);
    expect((await app.graphql(meQuery, {}, token)).status).toBe(200);
    expect((await app.graphql(meQuery, {}, fresh)).status).toBe(200);
    const kids = (await (await app.fetch('/.well-known/jwks.json')).json()).keys.map((k: { kid: string }) => k.kid);
    expect(kids).toEqual(expect.arrayContaining([oldKid, rotated.kid]));
  });

  it('never writes a token or password to the database', async () => {
    const events = await app.db.auditEvent.findMany();
    const users = await app.db.user.findMany();
    const dump = JSON.stringify([events, users]);
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(token.split('.')[2]);
    expect(dump).not.toContain(adminPassword);
  });
});

describe.each(testProviders)('canonical tokens and key removal on %s', (provider) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(provider);
  });
  afterAll(() => app.close());

  const getAll = (token: string) => app.fetch('/api/issues/getAll', { headers: { authorization: `Bearer ${token}` } });

  /** A valid session token of the administrator's with this token id, signed by the app's own service. */
  async function adminToken(subject: string, tokenId: string): Promise<string> {
    const { token } = await app.auth.tokens.sign({
      kind: 'user',
      subject,
      userName: adminUserName,
      roles: ['ADMINISTRATOR'],
      expiresAt: new Date(app.clock.now.getTime() + 10 * 60_000),
      tokenId,
    });
    return token;
  }

  /** A valid token of ours whose three segments all have spare bits (the jti's length sets the payload's). */
  async function tokenWithSpareBits(): Promise<string> {
    const subject = decodeJwt(await app.login(adminUserName, adminPassword)).sub ?? '';
    for (const tokenId of [randomUUID(), `${randomUUID()}.`, `${randomUUID()}..`]) {
      const token = await adminToken(subject, tokenId);
      if (token.split('.').every((s) => s.length % 4 !== 0)) return token;
    }
    throw new Error('no token with spare bits in every segment');
  }

  it('refuses a copy of a valid token with the spare bits of a segment changed', async () => {
    const token = await tokenWithSpareBits();
    const segments = token.split('.');
    const copies = segments.map((segment, i) => {
      const respelled = respell(segment);
      // The very same bytes, spelled as another string.
      expect(respelled).not.toBe(segment);
      expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(segment, 'base64url'));
      return segments.map((s, j) => (j === i ? respelled : s)).join('.');
    });
    // Before the original is cached and after.
    for (const copy of copies) expect((await getAll(copy)).status).toBe(401);
    expect((await getAll(token)).status).toBe(200);
    for (const copy of copies) {
      const response = await getAll(copy);
      expect(response.status).toBe(401);
      expect((await response.json()).error.code).toBe('UNAUTHENTICATED');
    }
    expect(app.logs.filter((l) => l.includes('"reason":"malformed"')).length).toBeGreaterThanOrEqual(6);
    expect((await getAll(token)).status).toBe(200);
  });

  it('answers tokens of every length as themselves only, past the longest the cache holds too', async () => {
    const subject = decodeJwt(await app.login(adminUserName, adminPassword)).sub ?? '';
    // Lengths around the cache's limit (2,048 characters) and in each position within an 8-byte
    // word that a token's length takes: the cache compares tokens as words, and a shorter token
    // read after a longer one must not meet its leftovers.
    const tokens: string[] = [];
    for (const extra of [0, 1, 2, 3, 4, 1104, 1105, 1106, 1107, 1108, 1109, 1110, 1111, 1112, 1113, 1114]) {
      tokens.push(await adminToken(subject, `${randomUUID()}${'x'.repeat(extra)}`));
    }
    expect(new Set(tokens.map((t) => t.length % 8)).size).toBeGreaterThanOrEqual(6);
    expect(tokens.some((t) => t.length === 2048 || t.length === 2047)).toBe(true);
    expect(tokens.some((t) => t.length > 2048)).toBe(true);
    const longestFirst = [...tokens].sort((a, b) => b.length - a.length);
    for (const [round, order] of [longestFirst, [...longestFirst].reverse(), longestFirst].entries()) {
      for (const token of order) {
        expect((await getAll(token)).status, `round ${round}, ${token.length} characters`).toBe(200);
        const changed = `${token.slice(0, -1)}${token.endsWith('A') ? 'Q' : 'A'}`;
        expect((await getAll(changed)).status, `a copy of ${token.length} characters`).toBe(401);
      }
    }
    // Each one the cache may hold is now a hit, whichever token was read before it (a miss would
    // only cost a signature check: the answers above cannot tell).
    for (const order of [longestFirst, [...longestFirst].reverse()]) {
      for (const token of order) {
        expect(app.auth.tokens.cached(token) !== undefined, `${token.length} characters`).toBe(token.length <= 2048);
      }
    }
  });

  it('ends a cached token once its key leaves the key file and the file is reloaded', async () => {
    const token = await app.login(adminUserName, adminPassword);
    const oldKid = decodeProtectedHeader(token).kid;
    expect((await getAll(token)).status).toBe(200); // verified, hence cached
    await rotateKeyFile(app.config.auth.keyFile, 365);
    await app.auth.keys.refreshIfChanged();
    expect((await getAll(token)).status).toBe(200); // a retired key still verifies
    const file = JSON.parse(readFileSync(app.config.auth.keyFile, 'utf8')) as { keys: { kid: string }[] };
    writeFileSync(app.config.auth.keyFile, JSON.stringify({ keys: file.keys.filter((k) => k.kid !== oldKid) }));
    // A changed modification time is what the reload looks for; make it certain.
    const later = Date.now() / 1000 + 60;
    utimesSync(app.config.auth.keyFile, later, later);
    await app.auth.keys.refreshIfChanged();
    expect(app.auth.keys.has(oldKid ?? '')).toBe(false);
    const refused = await getAll(token);
    expect(refused.status).toBe(401);
    expect((await refused.json()).error.code).toBe('UNAUTHENTICATED');
    expect(app.logs.some((l) => l.includes('"reason":"unknown_key"'))).toBe(true);
    // Tokens of the remaining key are unaffected.
    expect((await getAll(await app.login(adminUserName, adminPassword))).status).toBe(200);
  });
});

describe('configured signing keys', () => {
  it('signs with an ES256 key given as JWK and publishes only its public part', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'configured-1' };
    const app = await startTestApp('sqlite', { JWT_SIGNING_KEYS: JSON.stringify({ keys: [jwk] }) });
    try {
      const token = await app.login(adminUserName, adminPassword);
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: 'configured-1' });
      const jwks = await (await app.fetch('/.well-known/jwks.json')).json();
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0].d).toBeUndefined();
      expect(jwks.keys[0].kid).toBe('configured-1');
    } finally {
      await app.close();
    }
  });
});
