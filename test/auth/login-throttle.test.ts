import { afterAll, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { LoginThrottle, type ThrottleDecision } from '../../src/auth/login-throttle.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp, userPassword } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

const threshold = 3;

describe('the login throttle alone', () => {
  const make = () => {
    const clock = { now: 0 };
    return { clock, throttle: new LoginThrottle({ threshold, lockoutSeconds: 60, now: () => clock.now }) };
  };

  it('slows a user failing from many addresses, up to a bound, and never refuses them', async () => {
    const { throttle } = make();
    const delays: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const decision = await throttle.check('victim', `10.0.${i >> 8}.${i & 255}`);
      expect(decision).not.toHaveProperty('refuseForSeconds');
      delays.push((decision as { delayMs: number }).delayMs);
      await throttle.recordFailure('victim', `10.0.${i >> 8}.${i & 255}`);
    }
    expect(delays.slice(0, 2 * threshold).every((d) => d === 0)).toBe(true);
    expect(delays[2 * threshold]).toBeGreaterThan(0);
    expect(delays.every((d, i) => i === 0 || d >= (delays[i - 1] ?? 0))).toBe(true);
    expect(Math.max(...delays)).toBe(2000);
    expect(await throttle.check('victim', '192.0.2.1')).toEqual({ delayMs: 2000 });
  });

  it('slows one address spraying names progressively, then refuses it', async () => {
    const { throttle } = make();
    const decisions: ThrottleDecision[] = [];
    for (let i = 0; i < 10 * threshold; i++) {
      const name = `name-${Math.floor(i / threshold)}`; // each name stops before its own lockout matters
      decisions.push(await throttle.check(`other-${i}`, '203.0.113.7'));
      await throttle.recordFailure(name, '203.0.113.7');
    }
    const delays = decisions.map((d) => ('delayMs' in d ? d.delayMs : -1));
    expect(delays.every((d) => d >= 0)).toBe(true);
    expect(delays[2 * threshold]).toBeGreaterThan(0);
    expect(delays.at(-1)).toBeGreaterThan(delays[2 * threshold] ?? 0);
    expect(await throttle.check('fresh-name', '203.0.113.7')).toEqual({ refuseForSeconds: 60 });
    expect(await throttle.check('fresh-name', '203.0.113.8')).toEqual({ delayMs: 0 });
  });

  it('forgets the failures after the window', async () => {
    const { clock, throttle } = make();
    for (let i = 0; i < 10 * threshold; i++) await throttle.recordFailure(`n${i}`, '203.0.113.9');
    expect(await throttle.check('x', '203.0.113.9')).toHaveProperty('refuseForSeconds');
    clock.now += 16 * 60_000;
    expect(await throttle.check('x', '203.0.113.9')).toEqual({ delayMs: 0 });
  });
});

describe.each(testProviders)('login throttling over HTTP on %s', (provider) => {
  let app: TestApp;
  let check: MockInstance<LoginThrottle['check']>;

  beforeAll(async () => {
    // TRUST_PROXY=true: the last X-Forwarded-For entry is the client address, so one test can speak
    // from many addresses.
    app = await startTestApp(provider, { TRUST_PROXY: 'true', LOGIN_LOCKOUT_THRESHOLD: String(threshold) });
    await app.createUser('victim', ['AUDITOR']);
    for (let i = 0; i < 10; i++) await app.createUser(`sprayed.${i}`, ['AUDITOR']);
  });
  afterAll(() => app.close());

  beforeEach(() => {
    // A fresh throttle per test, configured as the server's, with delays of milliseconds so that
    // the tests read the decisions instead of waiting them out.
    const throttle = new LoginThrottle({
      threshold,
      lockoutSeconds: app.config.auth.lockoutSeconds,
      now: () => app.clock.now.getTime(),
      delayStepMs: 1,
      maxDelayMs: 8,
    });
    check = vi.spyOn(throttle, 'check');
    app.auth.throttle = throttle;
  });

  const login = (userName: string, password: string, address: string) =>
    app.fetch('/api/authentication/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.1, ${address}` },
      body: JSON.stringify({ userName, password }),
    });
  const lastDecision = () => check.mock.results.at(-1)?.value as Promise<ThrottleDecision>;

  it('never refuses the right password from a fresh address, whatever failed elsewhere', async () => {
    const statuses = [];
    for (let i = 0; i < 30; i++) statuses.push((await login('victim', 'wrong guess', `10.9.0.${i}`)).status);
    expect(statuses).toEqual(Array(30).fill(401));
    expect(await lastDecision()).toEqual({ delayMs: 8 }); // slowed down
    const right = await login('victim', userPassword, '10.9.1.1');
    expect(right.status).toBe(200);
    expect((await right.json()).auth_token).toBeTypeOf('string');
    expect(await lastDecision()).toEqual({ delayMs: 8 });
  });

  it('slows one address trying many names, then refuses it (429), not others', async () => {
    const decisions: ThrottleDecision[] = [];
    for (let i = 0; i < 10 * threshold; i++) {
      const response = await login(`sprayed.${i % 10}`, 'wrong guess', '10.9.2.2');
      expect(response.status).toBe(401);
      decisions.push(await lastDecision());
    }
    const delays = decisions.map((d) => ('delayMs' in d ? d.delayMs : -1));
    expect(delays.slice(0, 2 * threshold).every((d) => d === 0)).toBe(true);
    expect(delays.slice(2 * threshold).every((d) => d > 0)).toBe(true);
    const refused = await login(adminUserName, adminPassword, '10.9.2.2');
    expect(refused.status).toBe(429);
    expect((await refused.json()).error.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await login(adminUserName, adminPassword, '10.9.2.3')).status).toBe(200);
  });

  it('still locks out one user name from one address', async () => {
    for (let i = 0; i < threshold; i++) expect((await login('victim', 'wrong guess', '10.9.3.3')).status).toBe(401);
    const refused = await login('victim', userPassword, '10.9.3.3');
    expect(refused.status).toBe(429);
    expect((await refused.json()).error.code).toBe('RATE_LIMITED');
    expect((await login('victim', userPassword, '10.9.3.4')).status).toBe(200);
    app.clock.now = new Date(app.clock.now.getTime() + app.config.auth.lockoutSeconds * 1000 + 1000);
    expect((await login('victim', userPassword, '10.9.3.3')).status).toBe(200);
  });
});
