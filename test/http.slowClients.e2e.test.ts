/**
 * Issue 10 §3, slow clients: a client that trickles its headers or its body, or opens a connection and says nothing,
 * is cut off by the server's deadlines (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS) instead of holding the
 * connection for ever; connections past HTTP_MAX_CONNECTIONS are closed at once; the listen backlog is the configured
 * one, and a burst of new connections is answered. Behaviour only: no wall-clock thresholds.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { assertDatabaseVerifies } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';

interface Trickle {
  /** What the server sent before it closed the connection. */
  answer: string;
  /** Whether the server closed the connection before the client ran out of things to send. */
  cutOff: boolean;
}

/** Sends `head`, then one more piece every 100 ms (at most `pieces`), until the server closes the connection. */
async function trickle(port: number, head: string, piece: string, pieces: number): Promise<Trickle> {
  const socket = connect(port, '127.0.0.1');
  let answer = '';
  let closed = false;
  socket.on('data', (c: Buffer) => (answer += c.toString()));
  socket.on('error', () => undefined);
  const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  void gone.then(() => (closed = true));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  if (head) socket.write(head);
  for (let i = 0; i < pieces && !closed; i++) {
    await sleep(100);
    if (!closed && piece) socket.write(piece);
  }
  const cutOff = closed;
  socket.destroy();
  await gone;
  return { answer, cutOff };
}

/** A completed keep-alive request on a new connection; the connection stays open. */
function keptAlive(port: number): { socket: Socket; answer: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const answer = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.includes('\r\n\r\n')) resolve(text);
    });
    socket.once('close', () => resolve(text));
  });
  socket.write('GET /health/live HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\n\r\n');
  return { socket, answer };
}

describe('slow clients are cut off', () => {
  let s: TestServer;
  let port: number;
  before(async () => {
    s = await testServer('pglite', {
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_REQUEST_TIMEOUT_MS: '2000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
      HTTP_MAX_CONNECTIONS: '1500',
      HTTP_LISTEN_BACKLOG: '1024',
    });
    port = Number(new URL(s.baseUrl).port);
  });
  after(async () => {
    try {
      await assertDatabaseVerifies(s.engine);
    } finally {
      await s.close();
    }
  });

  it('headers trickled a line at a time: the connection is cut off (408)', async () => {
    // 300 lines at 100 ms take 30 s (Node's own header deadline is 60 s): HTTP_HEADERS_TIMEOUT_MS ends it first.
    const t = await trickle(port, 'GET /health/live HTTP/1.1\r\nHost: t\r\n', 'X-Slow: 1\r\n', 300);
    assert.equal(t.cutOff, true, 'the server closed the connection');
    assert.match(t.answer, /^HTTP\/1\.1 408/);
  });

  it('a body trickled a byte at a time: the connection is cut off (408), nothing is created', async () => {
    const token = await s.token('mkt', 'service');
    const head =
      `POST /api/escrow HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${token}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{';
    const before = await s.engine.db.query<{ n: number }>('SELECT count(*)::int AS n FROM escrows');
    const t = await trickle(port, head, ' ', 300);
    assert.equal(t.cutOff, true, 'the server closed the connection');
    assert.match(t.answer, /^HTTP\/1\.1 408/);
    const after = await s.engine.db.query<{ n: number }>('SELECT count(*)::int AS n FROM escrows');
    assert.equal(after.rows[0]!.n, before.rows[0]!.n);
  });

  it('a connection that says nothing is closed', async () => {
    const t = await trickle(port, '', '', 300);
    assert.equal(t.cutOff, true, 'the server closed the silent connection');
  });

  it('an idle keep-alive connection is closed after the keep-alive timeout', { timeout: 30_000 }, async () => {
    const { socket, answer } = keptAlive(port);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    assert.match(await answer, /^HTTP\/1\.1 200/);
    await closed; // the test's timeout fails it if the server keeps the connection
  });

  it('the listen backlog is the configured one (capped by the kernel), and a burst of 1,000 connections is answered', async () => {
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
    const { stdout } = await promisify(execFile)('ss', ['-Hltn', `sport = :${port}`]);
    const sendQ = Number(stdout.trim().split(/\s+/)[2]);
    assert.equal(sendQ, Math.min(1024, somaxconn), `ss says: ${stdout}`);

    const burst = Array.from({ length: 1000 }, async () => {
      const { socket, answer } = keptAlive(port);
      const text = await answer;
      socket.destroy();
      return text;
    });
    const live = fetch(`${s.baseUrl}/health/live`).then((r) => r.status);
    const answers = await Promise.all(burst);
    assert.equal(answers.filter((a) => /^HTTP\/1\.1 200/.test(a)).length, 1000, 'every connection was answered');
    assert.equal(await live, 200);
  });
});

describe('connections past HTTP_MAX_CONNECTIONS', () => {
  let s: TestServer;
  before(async () => {
    s = await testServer('pglite', { HTTP_MAX_CONNECTIONS: '3' });
  });
  after(async () => {
    try {
      await assertDatabaseVerifies(s.engine);
    } finally {
      await s.close();
    }
  });

  it('are closed at once, and served again once a connection is free', async () => {
    const port = Number(new URL(s.baseUrl).port);
    const held = [keptAlive(port), keptAlive(port), keptAlive(port)];
    for (const h of held) assert.match(await h.answer, /^HTTP\/1\.1 200/);
    const extra = keptAlive(port);
    assert.equal(await extra.answer, '', 'the fourth connection is closed without an answer');
    extra.socket.destroy();
    for (const h of held) h.socket.destroy();
    // The server counts a connection until it has seen it close: try until it has.
    let answered = '';
    for (let i = 0; i < 50 && !answered; i++) {
      await sleep(50);
      const again = keptAlive(port);
      answered = await again.answer;
      again.socket.destroy();
    }
    assert.match(answered, /^HTTP\/1\.1 200/);
  });
});
