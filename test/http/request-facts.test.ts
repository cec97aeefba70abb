import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { clientAddressFrom, proxyList } from '../../src/http/request-facts.ts';

const trusted = (value: string) => {
  const { trustProxy } = loadConfig({ TRUST_PROXY: value });
  return typeof trustProxy === 'boolean' ? trustProxy : proxyList(trustProxy);
};

describe('the client address', () => {
  it('is the socket peer when no proxy is trusted', () => {
    expect(clientAddressFrom('192.0.2.7', '203.0.113.1', trusted('false'))).toBe('192.0.2.7');
    expect(clientAddressFrom(undefined, '203.0.113.1', trusted('false'))).toBeUndefined();
  });

  it('is the last forwarded address with TRUST_PROXY=true (one hop, whatever connects)', () => {
    const trust = trusted('true');
    expect(clientAddressFrom('192.0.2.7', 'spoofed, 203.0.113.1', trust)).toBe('203.0.113.1');
    expect(clientAddressFrom(undefined, '203.0.113.1', trust)).toBe('203.0.113.1');
    expect(clientAddressFrom('192.0.2.7', null, trust)).toBe('192.0.2.7');
    expect(clientAddressFrom('192.0.2.7', '', trust)).toBe('192.0.2.7');
  });

  it('believes X-Forwarded-For only from a listed proxy', () => {
    const trust = trusted('10.0.0.0/8');
    expect(clientAddressFrom('192.0.2.7', '203.0.113.1', trust)).toBe('192.0.2.7');
    expect(clientAddressFrom('10.1.2.3', '203.0.113.1', trust)).toBe('203.0.113.1');
    expect(clientAddressFrom('::ffff:10.1.2.3', '203.0.113.1', trust)).toBe('203.0.113.1');
    expect(clientAddressFrom('10.1.2.3', null, trust)).toBe('10.1.2.3');
    expect(clientAddressFrom(undefined, '203.0.113.1', trust)).toBeUndefined();
  });

  it('walks X-Forwarded-For from the right past listed proxies to the first other address', () => {
    const trust = trusted('10.0.0.0/8, 2001:db8::/32, 192.0.2.1');
    // The client sent a forged entry first; each proxy appended its peer.
    expect(clientAddressFrom('10.0.0.1', '6.6.6.6, 203.0.113.9, 192.0.2.1, 10.0.0.2', trust)).toBe('203.0.113.9');
    expect(clientAddressFrom('2001:db8::1', '2001:db8:1::5, 2001:db9::7', trust)).toBe('2001:db9::7');
    expect(clientAddressFrom('2001:db8::1', '2001:db9::7, 2001:db8:1::5', trust)).toBe('2001:db9::7');
    // Every hop a proxy: the farthest one known.
    expect(clientAddressFrom('10.0.0.1', '10.0.0.3, 10.0.0.2', trust)).toBe('10.0.0.3');
    // An entry that is not an address ends the walk at the last hop believed.
    expect(clientAddressFrom('10.0.0.1', 'x, not-an-ip, 10.0.0.2', trust)).toBe('10.0.0.2');
    expect(clientAddressFrom('10.0.0.1', '203.0.113.9:4711', trust)).toBe('10.0.0.1');
  });
});
