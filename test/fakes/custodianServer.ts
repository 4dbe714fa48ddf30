import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake custodian speaking the contract of docs/custodian-api.yaml over real HTTP on 127.0.0.1 (test double only):
 * bearer auth, Idempotency-Key honoured on every POST (same key → the first answer again), deposit addresses unique
 * per reference, deposits that gather confirmations, transfers that complete on request (or at once with
 * `autoComplete`), balances that move, webhooks signed as the contract says, faults, and a log of every request.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
  body: unknown;
}

interface Deposit {
  id: string;
  depositAddressId: string;
  reference: string;
  address: string;
  txHash: string;
  from: string;
  amount: string;
  asset: 'USDC';
  network: 'base';
  confirmations: number;
  status: 'pending' | 'confirmed' | 'failed';
  failureReason: string | null;
}

interface Transfer {
  id: string;
  reference: string;
  destination: string;
  amount: string;
  asset: 'USDC';
  network: 'base';
  status: 'submitted' | 'broadcast' | 'confirmed' | 'failed';
  txHash: string | null;
  failureReason: string | null;
}

interface DepositAddress {
  id: string;
  address: string;
  reference: string;
  asset: 'USDC';
  network: 'base';
  expectedAmount: string | null;
  status: 'open' | 'closed';
}

const hex = (n: number) => randomBytes(n).toString('hex');

export class FakeCustodian {
  readonly requests: RecordedRequest[] = [];
  readonly addresses = new Map<string, DepositAddress>();
  readonly deposits: Deposit[] = [];
  readonly transfers: Transfer[] = [];
  /** Addresses POST /v1/addresses/validate refuses, with the reason. */
  readonly refusedAddresses = new Map<string, string>();
  /** Where deposit/transfer webhooks go (none when unset). */
  webhookUrl: string | null = null;
  /** Transfers confirm at once instead of waiting for completeTransfer. */
  autoComplete = false;
  /** The confirmations at which the custodian calls a deposit confirmed (it reports them all the same). */
  confirmedAt = 1;
  available = 0n;
  pendingBalance = 0n;
  /** Webhooks sent, as delivered (body and headers). */
  readonly sentWebhooks: { body: string; headers: Record<string, string>; status: number }[] = [];
  private readonly idempotent = new Map<string, { status: number; body: unknown }>();
  private faults: { kind: 'fail' | 'hang' | 'rateLimit'; status?: number }[] = [];
  private server: Server | null = null;
  private readonly hanging = new Set<ServerResponse>();
  private seq = 0;

  constructor(
    readonly apiKey = 'custodian-test-api-key',
    readonly webhookSecret = 'custodian-test-webhook-secret',
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  get url(): string {
    const a = this.server?.address() as AddressInfo | undefined;
    if (!a) throw new Error('fake custodian not started');
    return `http://127.0.0.1:${a.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    this.hanging.clear();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  /** The next `n` calls answer 500 (or `status`). */
  failNext(n = 1, status = 500): void {
    for (let i = 0; i < n; i++) this.faults.push({ kind: 'fail', status });
  }
  /** The next `n` calls never answer (past any client timeout). */
  hangNext(n = 1): void {
    for (let i = 0; i < n; i++) this.faults.push({ kind: 'hang' });
  }
  /** The next `n` calls answer 429 with Retry-After: 0. */
  rateLimitNext(n = 1): void {
    for (let i = 0; i < n; i++) this.faults.push({ kind: 'rateLimit' });
  }

  /** Calls to a path (optionally one method). */
  calls(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)),
    );
  }

  /** Money arrives at the deposit address of `reference`: a pending deposit, with its webhook. */
  async deposit(
    reference: string,
    p: { from: string; amount: string; confirmations?: number; txHash?: string },
  ): Promise<Deposit> {
    const addr = [...this.addresses.values()].find((a) => a.reference === reference);
    if (!addr) throw new Error(`no deposit address for ${reference}`);
    const d: Deposit = {
      id: `dep_${hex(8)}`,
      depositAddressId: addr.id,
      reference,
      address: addr.address,
      txHash: p.txHash ?? `0x${hex(32)}`,
      from: p.from,
      amount: p.amount,
      asset: 'USDC',
      network: 'base',
      confirmations: 0,
      status: 'pending',
      failureReason: null,
    };
    this.deposits.push(d);
    this.pendingBalance += BigInt(d.amount);
    await this.confirm(d.txHash, p.confirmations ?? 0);
    return d;
  }

  /** The deposit `txHash` now has `confirmations`; a deposit.updated webhook is sent. */
  async confirm(txHash: string, confirmations: number): Promise<Deposit> {
    const d = this.deposits.find((x) => x.txHash === txHash);
    if (!d) throw new Error(`no deposit ${txHash}`);
    d.confirmations = confirmations;
    if (d.status === 'pending' && confirmations >= this.confirmedAt) {
      d.status = 'confirmed';
      this.pendingBalance -= BigInt(d.amount);
      this.available += BigInt(d.amount);
    }
    await this.emit('deposit.updated', d, `${d.status}:${d.confirmations}`);
    return d;
  }

  /** The deposit was dropped (a reorg): deposit.updated with status failed. */
  async failDeposit(txHash: string, reason = 'transaction dropped'): Promise<void> {
    const d = this.deposits.find((x) => x.txHash === txHash);
    if (!d) throw new Error(`no deposit ${txHash}`);
    if (d.status === 'pending') this.pendingBalance -= BigInt(d.amount);
    d.status = 'failed';
    d.failureReason = reason;
    await this.emit('deposit.updated', d, 'failed');
  }

  /** The transfer of `reference` ends; a transfer.updated webhook is sent. */
  async completeTransfer(
    reference: string,
    status: 'confirmed' | 'failed',
    reason = 'execution reverted',
  ): Promise<Transfer> {
    const t = this.transfers.find((x) => x.reference === reference);
    if (!t) throw new Error(`no transfer ${reference}`);
    this.finish(t, status, reason);
    await this.emit('transfer.updated', t, t.status);
    return t;
  }

  /** Signs a body exactly as the contract says: hex HMAC-SHA256 of `${timestamp}.${body}`. */
  sign(body: string, timestamp = this.nowSeconds(), secret = this.webhookSecret): Record<string, string> {
    return {
      'x-custodian-timestamp': String(timestamp),
      'x-custodian-signature': createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex'),
    };
  }

  /** The body of an event as the custodian sends it; the id is the same for a redelivery of the same state. */
  event(type: string, data: object, state: string): string {
    const id = `evt_${createHash('sha256')
      .update(`${type}:${(data as { id: string }).id}:${state}`)
      .digest('hex')
      .slice(0, 24)}`;
    return JSON.stringify({ id, type, created: this.nowSeconds(), data });
  }

  private async emit(type: string, data: Deposit | Transfer, state: string): Promise<void> {
    if (!this.webhookUrl) return;
    const body = this.event(type, data, state);
    const headers = { 'content-type': 'application/json', ...this.sign(body) };
    const res = await fetch(this.webhookUrl, { method: 'POST', headers, body });
    this.sentWebhooks.push({ body, headers, status: res.status });
    await res.arrayBuffer();
  }

  private finish(t: Transfer, status: 'confirmed' | 'failed', reason: string): void {
    if (t.status === 'confirmed' || t.status === 'failed') return;
    t.status = status;
    if (status === 'confirmed') t.txHash = `0x${hex(32)}`;
    else {
      t.failureReason = reason;
      this.available += BigInt(t.amount);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]),
    );
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body,
    };
    this.requests.push(rec);
    const fault = this.faults.shift();
    if (fault?.kind === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (fault?.kind === 'rateLimit')
      return this.send(res, 429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'retry-after': '0' });
    if (fault?.kind === 'fail')
      return this.send(res, fault.status ?? 500, {
        error: { code: 'internal_error', message: 'custodian unavailable' },
      });
    if (headers.authorization !== `Bearer ${this.apiKey}`) {
      return this.send(res, 401, { error: { code: 'unauthorized', message: 'invalid API key' } });
    }
    if (rec.method === 'POST') {
      const key = headers['idempotency-key'];
      if (!key)
        return this.send(res, 400, {
          error: { code: 'idempotency_key_required', message: 'Idempotency-Key header required' },
        });
      const seen = this.idempotent.get(`${rec.path}:${key}`);
      if (seen) return this.send(res, seen.status, seen.body, { 'idempotent-replayed': 'true' });
      const [status, out] = this.route(rec);
      if (status < 500) this.idempotent.set(`${rec.path}:${key}`, { status, body: out });
      return this.send(res, status, out);
    }
    const [status, out] = this.route(rec);
    this.send(res, status, out);
  }

  private route(r: RecordedRequest): [number, unknown] {
    const b = (r.body ?? {}) as Record<string, unknown>;
    const m = `${r.method} ${r.path}`;
    if (m === 'POST /v1/deposit-addresses') return this.createAddress(b);
    if (m === 'GET /v1/deposit-addresses')
      return [200, { data: [...this.addresses.values()].filter((a) => a.reference === r.query.reference) }];
    const close = /^\/v1\/deposit-addresses\/([^/]+)\/close$/.exec(r.path);
    if (r.method === 'POST' && close) {
      const a = this.addresses.get(decodeURIComponent(close[1]!));
      if (!a) return [404, { error: { code: 'not_found', message: 'no such deposit address' } }];
      a.status = 'closed';
      return [200, a];
    }
    if (m === 'GET /v1/deposits')
      return [200, { data: this.deposits.filter((d) => d.reference === r.query.reference) }];
    const one = /^\/v1\/deposits\/([^/]+)$/.exec(r.path);
    if (r.method === 'GET' && one) {
      const d = this.deposits.find((x) => x.txHash === decodeURIComponent(one[1]!));
      return d ? [200, d] : [404, { error: { code: 'not_found', message: 'no such deposit' } }];
    }
    if (m === 'POST /v1/transfers') return this.createTransfer(b);
    if (m === 'GET /v1/transfers')
      return [200, { data: this.transfers.filter((t) => t.reference === r.query.reference) }];
    if (m === 'POST /v1/addresses/validate') {
      const address = typeof b.address === 'string' ? b.address : '';
      const reason =
        this.refusedAddresses.get(address) ?? (/^0x[0-9a-f]{40}$/i.test(address) ? null : 'malformed address');
      return [200, { address, valid: reason === null, reason }];
    }
    if (m === 'GET /v1/balances') {
      return [
        200,
        {
          data: [
            {
              asset: 'USDC',
              network: 'base',
              available: this.available.toString(),
              pending: this.pendingBalance.toString(),
            },
          ],
        },
      ];
    }
    return [404, { error: { code: 'not_found', message: `no route ${m}` } }];
  }

  private createAddress(b: Record<string, unknown>): [number, unknown] {
    if (typeof b.reference !== 'string' || b.asset !== 'USDC' || b.network !== 'base') {
      return [
        400,
        { error: { code: 'invalid_request', message: 'reference, asset USDC and network base are required' } },
      ];
    }
    if (b.expectedAmount !== undefined && (typeof b.expectedAmount !== 'string' || !/^\d+$/.test(b.expectedAmount))) {
      return [400, { error: { code: 'invalid_request', message: 'expectedAmount must be a digit string' } }];
    }
    const existing = [...this.addresses.values()].find((a) => a.reference === b.reference);
    if (existing) return [200, existing];
    const a: DepositAddress = {
      id: `da_${++this.seq}_${hex(4)}`,
      address: `0x${hex(20)}`,
      reference: b.reference,
      asset: 'USDC',
      network: 'base',
      expectedAmount: b.expectedAmount ?? null,
      status: 'open',
    };
    this.addresses.set(a.id, a);
    return [201, a];
  }

  private createTransfer(b: Record<string, unknown>): [number, unknown] {
    const { reference, destination, amount } = b;
    if (
      typeof reference !== 'string' ||
      typeof destination !== 'string' ||
      typeof amount !== 'string' ||
      !/^[1-9]\d*$/.test(amount) ||
      b.asset !== 'USDC' ||
      b.network !== 'base'
    ) {
      return [
        400,
        {
          error: {
            code: 'invalid_request',
            message: 'reference, destination, amount, asset USDC, network base required',
          },
        },
      ];
    }
    if (!/^0x[0-9a-fA-F]{40}$/.test(destination))
      return [422, { error: { code: 'invalid_destination', message: 'destination is not an address' } }];
    const existing = this.transfers.find((t) => t.reference === reference);
    if (existing) return [200, existing];
    if (BigInt(amount) > this.available)
      return [422, { error: { code: 'insufficient_funds', message: 'not enough USDC available' } }];
    this.available -= BigInt(amount);
    const t: Transfer = {
      id: `tr_${++this.seq}_${hex(4)}`,
      reference,
      destination,
      amount,
      asset: 'USDC',
      network: 'base',
      status: 'submitted',
      txHash: null,
      failureReason: null,
    };
    this.transfers.push(t);
    if (this.autoComplete) this.finish(t, 'confirmed', '');
    return [201, t];
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req_${hex(6)}`, ...headers });
    res.end(JSON.stringify(body));
  }
}
