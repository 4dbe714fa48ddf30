import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WEBHOOK_RESPONSE_EXCERPT_BYTES, type OutgoingRequest } from '../../app/ports/webhookSender.js';
import type { LookupAll } from './addressPolicy.js';
import { excerptOf, HttpWebhookSender, HttpWebhookUrlGuard, retryAfterMs } from './httpSender.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A real receiver on 127.0.0.1 counting connections and recording requests; `handle` answers (or does not). */
async function receiver(handle: (req: IncomingMessage, res: ServerResponse) => void = (_q, s) => s.end('ok')) {
  const seen: Seen[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
      handle(req, res);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    seen,
    port,
    connections: () => connections,
    url: (path = '/hooks') => `http://127.0.0.1:${port}${path}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
type Receiver = Awaited<ReturnType<typeof receiver>>;

/** A resolver answering each call with the next answer of the list (the last one repeats), counting calls. */
function scriptedLookup(...answers: string[][]): LookupAll & { calls: number } {
  const lookup = ((_hostname, _options, callback) => {
    const answer = answers[Math.min(lookup.calls++, answers.length - 1)]!;
    const addresses: LookupAddress[] = answer.map((address) => ({ address, family: isIP(address) }));
    setImmediate(() => callback(null, addresses));
  }) as LookupAll & { calls: number };
  lookup.calls = 0;
  return lookup;
}

const post = (url: string, extra: Partial<OutgoingRequest> = {}): OutgoingRequest => ({
  url,
  headers: { 'content-type': 'application/json' },
  body: '{"type":"escrow.funded"}',
  timeoutMs: 5_000,
  ...extra,
});

describe('HttpWebhookSender against real receivers (private addresses allowed)', () => {
  const receivers: Receiver[] = [];
  const sender = new HttpWebhookSender({ allowPrivate: true, now: () => Date.parse('2026-06-01T12:00:00Z') });
  const start = async (handle?: Parameters<typeof receiver>[0]) => {
    const r = await receiver(handle);
    receivers.push(r);
    return r;
  };
  after(async () => {
    sender.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('POSTs the headers and body exactly as given and answers the status and an excerpt', async () => {
    const r = await start((_q, res) => res.writeHead(200).end(' received\u0000 \u001b[31mred\r\n\tline 2\n '));
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'escrow-services/test',
      'webhook-id': 'evt_01J0ABC',
      'webhook-timestamp': '1780315200',
      'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= v1,aGVsbG8=',
      'x-extra': 'a b=c',
    };
    const body = JSON.stringify({ id: 'evt_01J0ABC', amount: '10000', note: 'café ☕ \u2028' });
    const out = await sender.send(post(r.url('/hooks/escrow?x=1'), { headers, body }));
    assert.equal(out.kind, 'response');
    assert.equal(out.status, 200);
    assert.equal(out.excerpt, 'received   [31mred \n\tline 2');
    assert.equal(out.retryAfterMs, null);
    assert.equal(out.location, null);
    assert.ok(Number.isInteger(out.latencyMs) && out.latencyMs >= 0);
    const [got] = r.seen;
    assert.equal(got?.method, 'POST');
    assert.equal(got.url, '/hooks/escrow?x=1');
    for (const [k, v] of Object.entries(headers)) assert.equal(got.headers[k], v, k);
    assert.equal(got.headers['content-length'], String(Buffer.byteLength(body)));
    assert.ok(got.body.equals(Buffer.from(body, 'utf8')));
  });

  it('keeps whole UTF-8 characters of the first WEBHOOK_RESPONSE_EXCERPT_BYTES only', async () => {
    const r = await start((_q, res) => res.writeHead(200).end('a' + 'é'.repeat(3000)));
    const out = await sender.send(post(r.url()));
    assert.equal(out.kind, 'response');
    assert.equal(out.excerpt, 'a' + 'é'.repeat((WEBHOOK_RESPONSE_EXCERPT_BYTES - 2) / 2));
  });

  it('answers a 500 as a response', async () => {
    const r = await start((_q, res) => res.writeHead(500).end('boom'));
    const out = await sender.send(post(r.url()));
    assert.deepEqual(out.kind === 'response' && [out.status, out.excerpt], [500, 'boom']);
  });

  it('reads Retry-After of a 429 as seconds or as an HTTP date', async () => {
    const r = await start((req, res) =>
      res.writeHead(429, { 'retry-after': req.url === '/date' ? 'Mon, 01 Jun 2026 12:02:00 GMT' : '120' }).end(),
    );
    const seconds = await sender.send(post(r.url('/seconds')));
    const date = await sender.send(post(r.url('/date')));
    assert.deepEqual(seconds.kind === 'response' && [seconds.status, seconds.retryAfterMs], [429, 120_000]);
    assert.deepEqual(date.kind === 'response' && [date.status, date.retryAfterMs], [429, 120_000]);
  });

  it('does not follow a redirect: reports its Location, and the target sees nothing', async () => {
    const target = await start();
    const r = await start((_q, res) => res.writeHead(301, { location: target.url('/moved') }).end());
    const out = await sender.send(post(r.url()));
    assert.deepEqual(out.kind === 'response' && [out.status, out.location], [301, target.url('/moved')]);
    assert.equal(target.connections(), 0);
    assert.equal(target.seen.length, 0);
  });

  it(
    'gives up after timeoutMs on a receiver that never answers, and closes the connection',
    { timeout: 10_000 },
    async () => {
      let closed!: Promise<void>;
      const r = await start((req) => {
        closed = new Promise((resolve) => req.socket.once('close', () => resolve()));
      });
      const out = await sender.send(post(r.url(), { timeoutMs: 200 }));
      assert.equal(out.kind, 'failure');
      assert.equal(out.reason, 'timeout');
      assert.match(out.error, /no complete answer within 200 ms/);
      await closed; // the sender destroyed the socket (otherwise this never resolves)
    },
  );

  it('stops reading a huge body at the limit and closes the connection', { timeout: 20_000 }, async () => {
    const total = 64 * 1024 * 1024;
    let written = 0;
    let ended!: Promise<boolean>;
    const r = await start((_q, res) => {
      ended = new Promise((resolve) => res.once('close', () => resolve(res.writableFinished)));
      res.writeHead(200, { 'content-length': String(total) });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (written < total && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (written >= total) res.end();
      };
      pump();
    });
    const out = await sender.send(post(r.url()));
    assert.equal(out.kind, 'response');
    assert.equal(out.status, 200);
    assert.equal(out.excerpt, 'x'.repeat(WEBHOOK_RESPONSE_EXCERPT_BYTES));
    assert.equal(await ended, false, 'the receiver could not finish writing: the sender closed the connection');
    assert.ok(written < total, `${written} of ${total} bytes written`);
  });

  it('reuses one connection for deliveries to the same receiver', async () => {
    const r = await start();
    for (let i = 0; i < 3; i++) assert.equal((await sender.send(post(r.url()))).kind, 'response');
    assert.equal(r.connections(), 1);
  });

  it('answers a refused connection as a network failure', async () => {
    const gone = await receiver();
    await gone.close();
    const out = await sender.send(post(gone.url()));
    assert.equal(out.kind, 'failure');
    assert.equal(out.reason, 'network');
    assert.match(out.error, new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:${gone.port}`));
  });

  it('never throws: a header Node refuses is a network failure', async () => {
    const r = await start();
    const out = await sender.send(post(r.url(), { headers: { 'x-bad': 'a\r\nx-injected: 1' } }));
    assert.equal(out.kind, 'failure');
    assert.equal(out.reason, 'network');
    assert.equal(r.seen.length, 0);
  });

  it('connects to the address its lookup answered', async () => {
    const r = await start();
    const lookup = scriptedLookup(['127.0.0.1']);
    const named = new HttpWebhookSender({ allowPrivate: true, lookup });
    const out = await named.send(post(`http://receiver.example.test:${r.port}/hooks`));
    named.close();
    assert.equal(out.kind, 'response');
    assert.equal(r.seen[0]?.headers.host, `receiver.example.test:${r.port}`);
    assert.equal(lookup.calls, 1);
  });
});

describe('HttpWebhookSender refuses private addresses (WEBHOOKS_ALLOW_PRIVATE=false)', () => {
  let r: Receiver;
  before(async () => (r = await receiver()));
  after(() => r.close());

  const refused = async (sender: HttpWebhookSender, url: string, pattern: RegExp) => {
    const connectionsBefore = r.connections();
    const out = await sender.send(post(url, { timeoutMs: 2_000 }));
    assert.equal(out.kind, 'failure', url);
    assert.equal(out.reason, 'refused', `${url}: ${out.error}`);
    assert.match(out.error, pattern);
    assert.equal(r.connections(), connectionsBefore, `${url}: the receiver saw no connection`);
  };

  it('refuses plain http and loopback literals without connecting', async () => {
    const sender = new HttpWebhookSender({ allowPrivate: false, lookup: () => assert.fail('literals skip DNS') });
    await refused(sender, r.url(), /must use https/);
    await refused(sender, `https://127.0.0.1:${r.port}/hooks`, /address 127\.0\.0\.1 is a loopback address/);
    await refused(sender, `https://[::ffff:127.0.0.1]:${r.port}/hooks`, /is a loopback address \(127\.0\.0\.1\)/);
    await refused(sender, `https://[::1]:${r.port}/hooks`, /address ::1 is a loopback address/);
  });

  for (const address of ['10.0.0.1', '169.254.169.254', '::1', '::ffff:127.0.0.1']) {
    it(`refuses at delivery a name the guard accepted that now resolves to ${address} (DNS rebinding)`, async () => {
      const lookup = scriptedLookup(['93.184.216.34'], [address]);
      const url = `https://hooks.example.test:${r.port}/hooks`;
      assert.equal(await new HttpWebhookUrlGuard({ allowPrivate: false, lookup }).refusal(url), null);
      const sender = new HttpWebhookSender({ allowPrivate: false, lookup });
      await refused(sender, url, /^webhook endpoint host hooks\.example\.test resolves to .+; endpoints must be/);
      assert.equal(lookup.calls, 2);
      sender.close();
    });
  }

  it('refuses a name any one of whose addresses is refused', async () => {
    const sender = new HttpWebhookSender({
      allowPrivate: false,
      lookup: scriptedLookup(['93.184.216.34', '127.0.0.1']),
    });
    await refused(sender, `https://hooks.example.test:${r.port}/hooks`, /resolves to 127\.0\.0\.1, a loopback address/);
  });
});

describe('HttpWebhookUrlGuard (registration)', () => {
  const lookup: LookupAll = (hostname, _options, callback) => {
    if (hostname === 'hooks.example.com') return callback(null, [{ address: '93.184.216.34', family: 4 }]);
    const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
    err.code = 'ENOTFOUND';
    callback(err, []);
  };
  const strict = new HttpWebhookUrlGuard({ allowPrivate: false, lookup });

  it('accepts https to a public host, and http to localhost only when private addresses are allowed', async () => {
    assert.equal(await strict.refusal('https://hooks.example.com/escrow'), null);
    assert.match((await strict.refusal('http://127.0.0.1:3000/hooks')) ?? '', /must use https/);
    assert.equal(await new HttpWebhookUrlGuard({ allowPrivate: true }).refusal('http://127.0.0.1:3000/hooks'), null);
  });

  it('refuses plain http, credentials, other schemes and unresolvable hosts', async () => {
    assert.match((await strict.refusal('http://hooks.example.com/')) ?? '', /must use https/);
    assert.match((await strict.refusal('https://u:p@hooks.example.com/')) ?? '', /must not carry credentials/);
    assert.match((await strict.refusal('ftp://hooks.example.com/')) ?? '', /must use https, not ftp/);
    assert.match((await strict.refusal('https://nowhere.example.com/')) ?? '', /does not resolve \(ENOTFOUND\)/);
  });
});

describe('the response parsing', () => {
  const now = Date.parse('2026-06-01T12:00:00Z');

  it('Retry-After: delta-seconds, HTTP dates in the three formats, past and unreadable values', () => {
    assert.equal(retryAfterMs(undefined, now), null);
    assert.equal(retryAfterMs('0', now), 0);
    assert.equal(retryAfterMs(' 30 ', now), 30_000);
    assert.equal(retryAfterMs('-5', now), 0);
    assert.equal(retryAfterMs('Mon, 01 Jun 2026 12:00:30 GMT', now), 30_000);
    assert.equal(retryAfterMs('Monday, 01-Jun-26 12:00:30 GMT', now), 30_000);
    assert.equal(retryAfterMs('Mon Jun  1 12:00:30 2026', now), 30_000);
    assert.equal(retryAfterMs('Mon, 01 Jun 2026 11:00:00 GMT', now), 0);
    for (const bad of ['', 'soon', '1.5', '2026-06-01T12:00:30Z', 'Mon, 99 Foo 2026 GMT']) {
      assert.equal(retryAfterMs(bad, now), null, bad);
    }
  });

  it('the excerpt: control characters but tab and newline replaced, a cut character dropped, trimmed', () => {
    assert.equal(excerptOf(Buffer.from('\u0000\u0007ok\u007f\u0085\tyes\n')), 'ok  \tyes');
    assert.equal(excerptOf(Buffer.from('€').subarray(0, 2)), '');
    assert.equal(excerptOf(Buffer.alloc(5000, 'y')).length, WEBHOOK_RESPONSE_EXCERPT_BYTES);
  });
});
