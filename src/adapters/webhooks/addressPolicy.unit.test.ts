import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { describe, it } from 'node:test';
import {
  addressesRefusal,
  classifyAddress,
  endpointUrlRefusal,
  urlRefusal,
  type LookupAll,
  type RefusedKind,
} from './addressPolicy.js';

const PUBLIC = [
  '93.184.216.34',
  '8.8.8.8',
  '1.1.1.1',
  '2606:2800:220:1:248:1893:25c8:1946',
  '2a00:1450:4001:81c::200e',
  // the edges of the refused IPv4 ranges
  '9.255.255.255',
  '11.0.0.0',
  '172.15.255.255',
  '172.32.0.0',
  '192.167.255.255',
  '192.169.0.0',
  '100.63.255.255',
  '100.128.0.0',
  '169.253.255.255',
  '169.255.0.0',
  '126.255.255.255',
  '128.0.0.0',
  '223.255.255.255',
];

/** address → the kind it is refused as (and, for IPv4-mapped ones, the IPv4 address it is judged as). */
const REFUSED: [string, RefusedKind, string?][] = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['::1', 'loopback'],
  ['::ffff:127.0.0.1', 'loopback', '127.0.0.1'],
  ['::ffff:7f00:1', 'loopback', '127.0.0.1'],
  ['10.0.0.7', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['::ffff:10.0.0.1', 'private', '10.0.0.1'],
  ['169.254.169.254', 'link-local'],
  ['169.254.0.1', 'link-local'],
  ['::ffff:169.254.169.254', 'link-local', '169.254.169.254'],
  ['fe80::1', 'link-local'],
  ['febf:ffff::1', 'link-local'],
  ['fc00::1', 'unique-local'],
  ['fd00:ec2::254', 'unique-local'],
  ['100.64.0.1', 'carrier-grade-nat'],
  ['100.127.255.255', 'carrier-grade-nat'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['::', 'unspecified'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['ff02::1', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['192.0.2.1', 'reserved'],
  ['198.51.100.7', 'reserved'],
  ['203.0.113.9', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['2001:db8::1', 'reserved'],
  // special-purpose IPv6 ranges that can carry an IPv4 address (NAT64, 6to4, Teredo, SIIT)
  ['64:ff9b::7f00:1', 'reserved'],
  ['2002:7f00:1::', 'reserved'],
  ['2001::1', 'reserved'],
  ['::ffff:0:7f00:1', 'reserved'],
  // outside 2000::/3, the global unicast allocation: e.g. the deprecated IPv4-compatible form
  ['::7f00:1', 'reserved'],
  ['::a00:1', 'reserved'],
  ['1000::1', 'reserved'],
  ['fec0::1', 'reserved'],
  ['example.com', 'invalid'],
  ['127.1', 'invalid'],
  ['', 'invalid'],
];

describe('classifyAddress', () => {
  for (const address of PUBLIC) {
    it(`accepts the public address ${address}`, () => {
      assert.deepEqual(classifyAddress(address), { acceptable: true, address });
    });
  }

  it('judges an IPv4-mapped public address as its IPv4 address', () => {
    assert.deepEqual(classifyAddress('::ffff:93.184.216.34'), { acceptable: true, address: '93.184.216.34' });
  });

  for (const [address, kind, as] of REFUSED) {
    it(`refuses ${address || '""'} as ${kind}`, () => {
      const c = classifyAddress(address);
      assert.equal(c.acceptable, false, JSON.stringify(c));
      if (c.acceptable) return;
      assert.equal(c.kind, kind, JSON.stringify(c));
      if (as !== undefined) assert.equal(c.address, as);
    });
  }
});

describe('addressesRefusal', () => {
  it('names the host, the address and its kind, and how to allow it in development', () => {
    assert.equal(
      addressesRefusal('hooks.example.com', ['10.0.0.7'], false),
      'webhook endpoint host hooks.example.com resolves to 10.0.0.7, a private address; endpoints must be on public ' +
        'addresses (WEBHOOKS_ALLOW_PRIVATE=true allows private ones, for development)',
    );
  });

  it('refuses a host when any one of its addresses is refused', () => {
    const refusal = addressesRefusal('hooks.example.com', ['93.184.216.34', '2606:2800:220::1', 'fe80::1'], false);
    assert.match(refusal ?? '', /resolves to fe80::1, a link-local address/);
    assert.equal(addressesRefusal('hooks.example.com', ['93.184.216.34', '2606:2800:220::1'], false), null);
  });

  it('says which special-purpose range, and what a mapped literal carries', () => {
    assert.match(addressesRefusal('h.example', ['2002:7f00:1::'], false) ?? '', /special-purpose address \(6to4\)/);
    assert.match(
      addressesRefusal('::ffff:7f00:1', ['::ffff:7f00:1'], false) ?? '',
      /^webhook endpoint address ::ffff:7f00:1 is a loopback address \(127\.0\.0\.1\);/,
    );
  });

  it('accepts every address when private addresses are allowed', () => {
    assert.equal(addressesRefusal('localhost', ['127.0.0.1', '::1', '169.254.169.254'], true), null);
  });
});

describe('urlRefusal (what the URL alone tells)', () => {
  const refusal = (url: string, allowPrivate = false) => {
    const r = urlRefusal(url, allowPrivate);
    return 'refusal' in r ? r.refusal : null;
  };

  it('accepts https to a name (resolved later) or a public literal', () => {
    assert.equal(refusal('https://hooks.example.com/escrow'), null);
    assert.equal(refusal('https://93.184.216.34:8443/escrow'), null);
    assert.equal(refusal('https://[2606:2800:220:1:248:1893:25c8:1946]/escrow'), null);
  });

  it('refuses plain http unless private addresses are allowed', () => {
    assert.match(refusal('http://hooks.example.com/') ?? '', /must use https \(plain http only with WEBHOOKS_ALLOW/);
    assert.equal(refusal('http://hooks.example.com/', true), null);
  });

  it('refuses other schemes even when private addresses are allowed', () => {
    for (const url of ['ftp://hooks.example.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'ws://h.example/']) {
      assert.match(refusal(url, true) ?? '', /must use https, not /, url);
    }
  });

  it('refuses credentials in the URL', () => {
    assert.match(refusal('https://user:pass@hooks.example.com/') ?? '', /must not carry credentials/);
    assert.match(refusal('https://user@hooks.example.com/') ?? '', /must not carry credentials/);
  });

  it('refuses what is not an absolute URL', () => {
    assert.match(refusal('/hooks') ?? '', /is not an absolute URL/);
    assert.match(refusal('hooks.example.com') ?? '', /is not an absolute URL/);
  });

  it('refuses refused IP literals, in every spelling the URL parser normalises', () => {
    for (const url of [
      'https://127.0.0.1/',
      'https://2130706433/',
      'https://0x7f.1/',
      'https://[::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://169.254.169.254/latest/meta-data/',
      'https://10.0.0.1:8443/',
      'https://[fd00:ec2::254]/',
    ]) {
      assert.match(refusal(url) ?? '', /^webhook endpoint address .+ is a/, url);
      assert.equal(refusal(url.replace('https:', 'http:'), true), null, url);
    }
  });

  it('answers the URL and its host without brackets', () => {
    const r = urlRefusal('https://[2606:2800:220:1:248:1893:25c8:1946]:8443/x', false);
    assert.ok(!('refusal' in r));
    assert.equal(r.host, '2606:2800:220:1:248:1893:25c8:1946');
    assert.equal(isIP(r.host), 6);
  });
});

/** A resolver answering from a table (a name missing from it does not exist). */
function tableLookup(table: Record<string, string[]>): LookupAll {
  return (hostname, options, callback) => {
    assert.equal(options.all, true);
    const found = table[hostname];
    if (!found) {
      const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
      err.code = 'ENOTFOUND';
      return setImmediate(() => callback(err, []));
    }
    const addresses: LookupAddress[] = found.map((address) => ({ address, family: isIP(address) }));
    setImmediate(() => callback(null, addresses));
  };
}

describe('endpointUrlRefusal (the registration check)', () => {
  const lookup = tableLookup({
    'hooks.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
    'internal.example.com': ['10.0.0.7'],
    'mixed.example.com': ['93.184.216.34', '169.254.169.254'],
    'empty.example.com': [],
  });

  it('accepts a host all of whose addresses are public', async () => {
    assert.equal(await endpointUrlRefusal('https://hooks.example.com/escrow', false, lookup), null);
  });

  it('refuses a host resolving to a private address, or to any refused one', async () => {
    assert.equal(
      await endpointUrlRefusal('https://internal.example.com/', false, lookup),
      'webhook endpoint host internal.example.com resolves to 10.0.0.7, a private address; endpoints must be on ' +
        'public addresses (WEBHOOKS_ALLOW_PRIVATE=true allows private ones, for development)',
    );
    assert.match(
      (await endpointUrlRefusal('https://mixed.example.com/', false, lookup)) ?? '',
      /resolves to 169\.254\.169\.254, a link-local address/,
    );
    assert.equal(await endpointUrlRefusal('https://internal.example.com/', true, lookup), null);
  });

  it('refuses a host that does not resolve', async () => {
    assert.equal(
      await endpointUrlRefusal('https://nowhere.example.com/', false, lookup),
      "webhook endpoint host nowhere.example.com does not resolve (ENOTFOUND); check the URL's host name",
    );
    assert.match((await endpointUrlRefusal('https://empty.example.com/', true, lookup)) ?? '', /any address/);
  });

  it('checks a literal without resolving it', async () => {
    const never: LookupAll = () => assert.fail('an IP literal is not resolved');
    assert.equal(await endpointUrlRefusal('https://93.184.216.34/', false, never), null);
    assert.match((await endpointUrlRefusal('https://[::1]/', false, never)) ?? '', /is a loopback address/);
  });
});
