import type { LookupOptions } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import {
  WEBHOOK_RESPONSE_EXCERPT_BYTES,
  WEBHOOK_RESPONSE_READ_BYTES,
  type OutgoingRequest,
  type OutgoingResult,
  type WebhookSender,
  type WebhookUrlGuard,
} from '../../app/ports/webhookSender.js';
import { addressesRefusal, endpointUrlRefusal, systemLookup, urlRefusal, type LookupAll } from './addressPolicy.js';

export interface HttpWebhookOptions {
  /** WEBHOOKS_ALLOW_PRIVATE: private, loopback and link-local addresses and plain http (development, tests). */
  allowPrivate: boolean;
  /** dns.lookup by default; tests answer for names of their own (and simulate DNS rebinding). */
  lookup?: LookupAll;
  /** Sent when the request's headers carry none (the dispatcher sets its own). */
  userAgent?: string;
  /** The clock an HTTP-date Retry-After is measured from (Date.now by default). */
  now?: () => number;
}

/** The error a refused address fails the connection with (told apart from the network's own errors). */
class RefusedAddress extends Error {
  override readonly name = 'RefusedAddress';
}

/**
 * The outgoing-webhook transport over node:http and node:https (no fetch: its resolver cannot be checked at connect
 * time). The policy is applied to the address actually connected to: the request's `lookup` resolves the host,
 * refuses the connection when any address is refused, and hands Node only checked addresses, so a name that resolved
 * to a public address at registration and to 127.0.0.1 now (DNS rebinding) is refused. IP literals skip Node's
 * lookup, so they are checked before the request is made. Nothing is logged: the headers carry the signatures.
 *
 * Keep-alive: each sender has its own agents with keepAlive, so deliveries to one receiver reuse a connection (no TLS
 * handshake per message). This does not weaken the policy: a pooled socket stays connected to the address that was
 * checked when it was opened (a later DNS answer does not move it), the pool is keyed by host and port so one host
 * never gets another's socket, and every new connection goes through the checking lookup. A socket is destroyed, not
 * pooled, after a timeout, an error or a response body cut off at the read limit. Idle pooled sockets are unref'd by
 * Node (they never keep a process alive); `close()` ends them.
 */
export class HttpWebhookSender implements WebhookSender {
  private readonly httpAgent = new HttpAgent({ keepAlive: true, scheduling: 'lifo' });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, scheduling: 'lifo' });
  private readonly lookup: LookupAll;
  private readonly now: () => number;

  constructor(private readonly o: HttpWebhookOptions) {
    this.lookup = o.lookup ?? systemLookup;
    this.now = o.now ?? Date.now;
  }

  /** One POST; every outcome is a value (never throws). */
  async send(request: OutgoingRequest): Promise<OutgoingResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const checked = urlRefusal(request.url, this.o.allowPrivate);
      if ('refusal' in checked) {
        return { kind: 'failure', reason: 'refused', error: checked.refusal, latencyMs: elapsed() };
      }
      return await this.exchange(checked.url, request, elapsed);
    } catch (err) {
      return { kind: 'failure', reason: 'network', error: errorText(err), latencyMs: elapsed() };
    }
  }

  /** Ends the idle keep-alive connections (a stopping role, a test's cleanup). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private exchange(url: URL, r: OutgoingRequest, elapsed: () => number): Promise<OutgoingResult> {
    return new Promise<OutgoingResult>((resolve) => {
      const body = Buffer.from(r.body, 'utf8');
      const https = url.protocol === 'https:';
      const req = (https ? httpsRequest : httpRequest)(url, {
        method: 'POST',
        headers: this.headersFor(r, body.length),
        agent: https ? this.httpsAgent : this.httpAgent,
        lookup: this.checkingLookup,
      });
      let settled = false;
      /** `destroy`: the socket must not be reused (no complete answer, or a body left unread). */
      const settle = (result: OutgoingResult, destroy: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (destroy) req.destroy();
        resolve(result);
      };
      // one deadline for the whole exchange: connect, the answer's headers and the body read
      const timer = setTimeout(() => {
        const error = `no complete answer within ${r.timeoutMs} ms`;
        settle({ kind: 'failure', reason: 'timeout', error, latencyMs: elapsed() }, true);
      }, r.timeoutMs);
      req.on('error', (err) => settle(failureOf(err, elapsed()), true));
      req.on('response', (res) =>
        readBounded(res, (start, complete) => settle(this.responseOf(res, start, elapsed()), !complete)),
      );
      req.end(body);
    });
  }

  /** The request's headers exactly as given, plus Content-Length (and a User-Agent when none is given). */
  private headersFor(r: OutgoingRequest, length: number): Record<string, string> {
    const headers: Record<string, string> = { ...r.headers };
    const names = new Set(Object.keys(headers).map((k) => k.toLowerCase()));
    if (!names.has('content-length')) headers['content-length'] = String(length);
    if (this.o.userAgent !== undefined && !names.has('user-agent')) headers['user-agent'] = this.o.userAgent;
    return headers;
  }

  private responseOf(res: IncomingMessage, start: Buffer, latencyMs: number): OutgoingResult {
    const status = res.statusCode ?? 0;
    const location = status >= 300 && status < 400 ? (res.headers.location ?? null) : null;
    return {
      kind: 'response',
      status,
      latencyMs,
      excerpt: excerptOf(start),
      retryAfterMs: retryAfterMs(res.headers['retry-after'], this.now()),
      location,
    };
  }

  /**
   * The resolver Node connects with: every address the name resolves to must pass the policy, and Node gets only
   * those addresses (in the form it asked for: one address, or all of them when it races IPv4 and IPv6).
   */
  private readonly checkingLookup: LookupFunction = (hostname, options: LookupOptions, callback) => {
    this.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const first = addresses[0];
      if (!first) return callback(new Error(`webhook endpoint host ${hostname} resolves to no address`), '');
      const refusal = addressesRefusal(
        hostname,
        addresses.map((a) => a.address),
        this.o.allowPrivate,
      );
      if (refusal) return callback(new RefusedAddress(refusal), '');
      if (options.all) return callback(null, addresses);
      callback(null, first.address, first.family);
    });
  };
}

/** The registration-time check of an endpoint URL: the same policy, on what the host resolves to now. */
export class HttpWebhookUrlGuard implements WebhookUrlGuard {
  constructor(private readonly o: { allowPrivate: boolean; lookup?: LookupAll }) {}

  async refusal(url: string): Promise<string | null> {
    try {
      return await endpointUrlRefusal(url, this.o.allowPrivate, this.o.lookup ?? systemLookup);
    } catch (err) {
      return `webhook endpoint URL could not be checked: ${errorText(err)}`;
    }
  }
}

/**
 * Reads at most WEBHOOK_RESPONSE_READ_BYTES of the body, keeping only the excerpt's bytes, and calls `done` once: with
 * `complete` when the body ended within the limit (the socket may be reused), otherwise when the limit was reached or
 * the receiver cut the body short (its status stands; the caller destroys the socket, so nothing more is read).
 */
function readBounded(res: IncomingMessage, done: (start: Buffer, complete: boolean) => void): void {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let read = 0;
  let finished = false;
  const finish = (complete: boolean) => {
    if (finished) return;
    finished = true;
    done(Buffer.concat(kept), complete);
  };
  res.on('data', (chunk: Buffer) => {
    if (finished) return;
    read += chunk.length;
    if (keptBytes < WEBHOOK_RESPONSE_EXCERPT_BYTES) {
      const part = chunk.subarray(0, WEBHOOK_RESPONSE_EXCERPT_BYTES - keptBytes);
      kept.push(part);
      keptBytes += part.length;
    }
    if (read >= WEBHOOK_RESPONSE_READ_BYTES) {
      res.pause();
      finish(false);
    }
  });
  res.on('end', () => finish(true));
  res.on('error', () => finish(false));
  res.on('close', () => finish(false));
}

/** Any C0/C1 control character but tab and newline (a NUL cannot even be stored in the attempt log). */
const CONTROL = /(?![\t\n])\p{Cc}/gu;

/** The start of a response body as text: whole UTF-8 characters only, control characters replaced, trimmed. */
export function excerptOf(start: Buffer): string {
  const text = new StringDecoder('utf8').write(start.subarray(0, WEBHOOK_RESPONSE_EXCERPT_BYTES));
  return text.replace(CONTROL, ' ').trim();
}

/** Retry-After as milliseconds from `nowMs`: delta-seconds or an HTTP-date; a past time is 0; unreadable is null. */
export function retryAfterMs(value: string | undefined, nowMs: number): number | null {
  if (value === undefined) return null;
  const v = value.trim();
  if (/^-?\d+$/.test(v)) return Math.min(Math.max(0, Number(v) * 1000), Number.MAX_SAFE_INTEGER);
  // an HTTP-date starts with the day's name (IMF-fixdate, RFC 850, asctime); asctime's is UTC without saying so
  if (!/^[A-Za-z]{3,9},? /.test(v)) return null;
  const at = Date.parse(/ GMT$/i.test(v) ? v : `${v} GMT`);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : null;
}

function failureOf(err: Error, latencyMs: number): OutgoingResult {
  if (err instanceof RefusedAddress) return { kind: 'failure', reason: 'refused', error: err.message, latencyMs };
  return { kind: 'failure', reason: 'network', error: errorText(err), latencyMs };
}

/** The error's message; racing IPv4 and IPv6 fails with an AggregateError whose own message is empty. */
function errorText(err: unknown): string {
  if (err instanceof AggregateError && err.message === '') {
    return err.errors.map((e) => errorText(e)).join('; ') || 'connection failed';
  }
  if (err instanceof Error) return err.message || (err as NodeJS.ErrnoException).code || err.name;
  return String(err);
}
