import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake of Paystack's REST API over real HTTP, for tests only: the real paths and methods, Bearer secret-key auth,
 * JSON bodies, `{status, message, data}` envelopes (errors: 4xx with status false, message, type and code), duplicate
 * references refused as Paystack refuses them, and state (transactions, recipients, transfers, refunds, balances) so
 * lookups answer truthfully. Webhooks are signed as Paystack signs them: `x-paystack-signature` = hex HMAC-SHA512 of
 * the raw body with the secret key. Shapes follow paystack.com/docs/api (PaystackOSS/doc-code-snippets samples).
 */

export interface FakeTransaction {
  id: number;
  status: 'abandoned' | 'success' | 'failed' | 'reversed';
  reference: string;
  amount: number;
  currency: string;
  email: string;
  metadata: unknown;
  access_code: string;
  authorization_url: string;
  callback_url: string | null;
  gateway_response: string | null;
  paid_at: string | null;
  refunded: number;
}

export interface FakeRecipient {
  recipient_code: string;
  id: number;
  active: boolean;
  currency: string;
  name: string;
  type: string;
  details: { account_number: string; account_name: string | null; bank_code: string; bank_name: string };
}

export interface FakeTransfer {
  id: number;
  status: 'pending' | 'otp' | 'success' | 'failed' | 'reversed';
  reference: string;
  transfer_code: string;
  amount: number;
  currency: string;
  reason: string | null;
  recipient: number;
  source: 'balance';
  transferred_at: string | null;
}

export interface FakeRefund {
  id: number;
  transaction: number;
  status: 'pending' | 'processing' | 'processed' | 'failed';
  amount: number;
  currency: string;
  merchant_note: string | null;
  customer_note: string | null;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  body: unknown;
}

export interface Delivery {
  event: string;
  status: number;
  body: string;
}

export interface PaystackServerOptions {
  secretKey: string;
  /** Where webhooks go (may be set later through `webhookUrl`). */
  webhookUrl?: string;
  /** Deliver charge.success when `pay` is called (default true when a webhookUrl is set). */
  autoDeliverCharge?: boolean;
  /** Complete every new transfer at once with this status, delivering its webhook. */
  autoCompleteTransfers?: 'success' | 'failed' | null;
  /** Start with this balance (subunits) in NGN. */
  balance?: number;
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

const ok = (message: string, data: unknown): Answer => ({ status: 200, body: { status: true, message, data } });
const err = (status: number, message: string, code = 'invalid_params', type = 'validation_error'): Answer => ({
  status,
  body: { status: false, message, meta: { nextStep: 'Check the request' }, type, code },
});

const now = () => new Date().toISOString();
const isAmount = (v: unknown): v is number | string =>
  (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) || (typeof v === 'string' && /^[1-9]\d*$/.test(v));

export class PaystackServer {
  readonly requests: RecordedRequest[] = [];
  readonly deliveries: Delivery[] = [];
  readonly transactions = new Map<string, FakeTransaction>();
  readonly recipients = new Map<string, FakeRecipient>();
  readonly transfers = new Map<string, FakeTransfer>();
  readonly refunds: FakeRefund[] = [];
  readonly balances = new Map<string, number>();
  webhookUrl: string | null;
  autoCompleteTransfers: 'success' | 'failed' | null;
  private readonly autoDeliverCharge: boolean;
  private readonly server: Server;
  private readonly hung: ServerResponse[] = [];
  private faults: { kind: 'fail' | 'hang' | 'rate' | 'drop'; status: number; retryAfter: number; on?: string }[] = [];
  private seq = 1000;
  private pendingDeliveries = new Set<Promise<unknown>>();

  constructor(private readonly o: PaystackServerOptions) {
    this.webhookUrl = o.webhookUrl ?? null;
    this.autoDeliverCharge = o.autoDeliverCharge ?? true;
    this.autoCompleteTransfers = o.autoCompleteTransfers ?? null;
    this.balances.set('NGN', o.balance ?? 0);
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.pendingDeliveries]);
    for (const r of this.hung.splice(0)) r.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next n requests (to `on`, "METHOD /path", when given) answer `status` (default 500), not applied. */
  failNext(n: number, status = 500, on?: string): void {
    this.addFaults(n, { kind: 'fail', status, retryAfter: 0, on });
  }
  /** The next n requests are never answered (the client's timeout fires), and not applied. */
  hangNext(n: number, on?: string): void {
    this.addFaults(n, { kind: 'hang', status: 0, retryAfter: 0, on });
  }
  /** The next n requests are applied, but their answer never comes (a timeout after the provider acted). */
  dropAnswerNext(n: number, on?: string): void {
    this.addFaults(n, { kind: 'drop', status: 0, retryAfter: 0, on });
  }
  /** The next n requests answer 429 with Retry-After (seconds). */
  rateLimitNext(n: number, retryAfter = 0, on?: string): void {
    this.addFaults(n, { kind: 'rate', status: 429, retryAfter, on });
  }

  private addFaults(n: number, f: PaystackServer['faults'][number]): void {
    for (let i = 0; i < n; i++) this.faults.push(f.on === undefined ? { ...f, on: undefined } : { ...f });
  }

  private takeFault(method: string, path: string): PaystackServer['faults'][number] | undefined {
    const i = this.faults.findIndex((f) => f.on === undefined || f.on === `${method} ${path}`);
    return i < 0 ? undefined : this.faults.splice(i, 1)[0];
  }

  /** Requests to one path (and method), for assertions. */
  calls(method: string, pathPrefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix));
  }

  /** Signs a body exactly as Paystack does. */
  sign(rawBody: string): string {
    return createHmac('sha512', this.o.secretKey).update(rawBody).digest('hex');
  }

  addRecipient(r: Partial<FakeRecipient> & { recipient_code?: string } = {}): FakeRecipient {
    const id = this.seq++;
    const recipient: FakeRecipient = {
      recipient_code: r.recipient_code ?? `RCP_${id.toString(36)}fake`,
      id,
      active: r.active ?? true,
      currency: r.currency ?? 'NGN',
      name: r.name ?? 'Seller Name',
      type: r.type ?? 'nuban',
      details: r.details ?? {
        account_number: '0123456789',
        account_name: null,
        bank_code: '044',
        bank_name: 'Access Bank',
      },
    };
    this.recipients.set(recipient.recipient_code, recipient);
    return recipient;
  }

  setBalance(currency: string, amount: number): void {
    this.balances.set(currency, amount);
  }

  /** The buyer pays: the transaction succeeds, the balance grows, charge.success goes out when a webhook URL is set. */
  async pay(reference: string): Promise<FakeTransaction> {
    const t = this.transactions.get(reference);
    if (!t) throw new Error(`fake paystack: no transaction ${reference}`);
    t.status = 'success';
    t.gateway_response = 'Successful';
    t.paid_at = now();
    this.balances.set(t.currency, (this.balances.get(t.currency) ?? 0) + t.amount);
    if (this.webhookUrl && this.autoDeliverCharge) await this.deliver('charge.success', this.transactionView(t));
    return t;
  }

  /** The buyer's payment is declined (Paystack sends no webhook for it). */
  decline(reference: string): void {
    const t = this.transactions.get(reference);
    if (!t) throw new Error(`fake paystack: no transaction ${reference}`);
    t.status = 'failed';
    t.gateway_response = 'Declined';
  }

  /** Paystack's final word on a transfer, delivered as transfer.success / transfer.failed / transfer.reversed. */
  async completeTransfer(reference: string, status: 'success' | 'failed' | 'reversed'): Promise<Delivery | null> {
    const t = this.transfers.get(reference);
    if (!t) throw new Error(`fake paystack: no transfer ${reference}`);
    if (status === 'success') t.transferred_at = now();
    if (status !== 'success') this.balances.set(t.currency, (this.balances.get(t.currency) ?? 0) + t.amount);
    t.status = status;
    return this.webhookUrl ? this.deliver(`transfer.${status}`, this.transferView(t)) : null;
  }

  /** Paystack's final word on a refund, delivered as refund.processed / refund.failed, shaped as Paystack's. */
  async completeRefund(id: number, status: 'processed' | 'failed'): Promise<Delivery | null> {
    const r = this.refunds.find((x) => x.id === id);
    if (!r) throw new Error(`fake paystack: no refund ${id}`);
    r.status = status;
    const tx = [...this.transactions.values()].find((t) => t.id === r.transaction)!;
    if (status === 'failed') {
      tx.refunded -= r.amount;
      this.balances.set(r.currency, (this.balances.get(r.currency) ?? 0) + r.amount);
    }
    // As documented: the transaction reference and the amount, no refund id and no merchant_note.
    const data = {
      status,
      transaction_reference: tx.reference,
      refund_reference: status === 'processed' ? `RRN${r.id}` : null,
      amount: String(r.amount),
      currency: r.currency,
      processor: 'fake',
      customer: { first_name: null, last_name: null, email: tx.email },
      integration: 100,
      domain: 'test',
    };
    return this.webhookUrl ? this.deliver(`refund.${status}`, data) : null;
  }

  /** POSTs an event to the webhook URL, signed as Paystack signs it. */
  async deliver(event: string, data: unknown, signature?: string): Promise<Delivery> {
    if (!this.webhookUrl) throw new Error('fake paystack: no webhookUrl');
    const body = JSON.stringify({ event, data });
    const p = fetch(this.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-paystack-signature': signature ?? this.sign(body) },
      body,
    }).then(async (res) => {
      await res.text();
      const d = { event, status: res.status, body };
      this.deliveries.push(d);
      return d;
    });
    this.pendingDeliveries.add(p);
    try {
      return await p;
    } finally {
      this.pendingDeliveries.delete(p);
    }
  }

  transactionView(t: FakeTransaction) {
    return {
      id: t.id,
      domain: 'test',
      status: t.status,
      reference: t.reference,
      amount: t.amount,
      message: null,
      gateway_response: t.gateway_response,
      paid_at: t.paid_at,
      created_at: now(),
      channel: 'card',
      currency: t.currency,
      metadata: t.metadata,
      fees: 0,
      customer: { id: t.id + 1, email: t.email, customer_code: `CUS_${t.id}` },
      authorization: { authorization_code: `AUTH_${t.id}`, last4: '4081', bank: 'TEST BANK', channel: 'card' },
      requested_amount: t.amount,
    };
  }

  transferView(t: FakeTransfer, recipientObject = true) {
    const recipient = [...this.recipients.values()].find((r) => r.id === t.recipient);
    return {
      amount: t.amount,
      currency: t.currency,
      domain: 'test',
      failures: null,
      id: t.id,
      integration: { id: 100, is_live: false, business_name: 'Fake' },
      reason: t.reason,
      reference: t.reference,
      source: t.source,
      source_details: null,
      status: t.status,
      titan_code: null,
      transfer_code: t.transfer_code,
      transferred_at: t.transferred_at,
      recipient: recipientObject && recipient ? recipient : t.recipient,
      session: { provider: null, id: null },
      createdAt: now(),
      updatedAt: now(),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    let body: unknown = null;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        return this.send(res, err(400, 'Invalid JSON'));
      }
    }
    this.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: req.headers.authorization,
      body,
    });
    const fault = this.takeFault(req.method ?? 'GET', url.pathname);
    if (fault?.kind === 'hang') return void this.hung.push(res);
    if (fault?.kind === 'fail') return this.send(res, err(fault.status, 'An error occurred', 'unknown', 'api_error'));
    if (fault?.kind === 'rate') {
      return this.send(res, {
        ...err(429, 'Too many requests', 'rate_limited', 'api_error'),
        headers: { 'retry-after': String(fault.retryAfter) },
      });
    }
    const answer =
      req.headers.authorization === `Bearer ${this.o.secretKey}`
        ? this.route(req.method ?? 'GET', url, (body ?? {}) as Record<string, unknown>)
        : err(401, 'Invalid key', 'invalid_key', 'api_error');
    if (fault?.kind === 'drop') return void this.hung.push(res);
    this.send(res, answer);
  }

  private send(res: ServerResponse, a: Answer): void {
    res.writeHead(a.status, { 'content-type': 'application/json', 'x-request-id': `req_${this.seq++}`, ...a.headers });
    res.end(JSON.stringify(a.body));
  }

  private route(method: string, url: URL, b: Record<string, unknown>): Answer {
    const p = url.pathname;
    let m: RegExpExecArray | null;
    if (method === 'POST' && p === '/transaction/initialize') return this.initialize(b);
    if (method === 'GET' && (m = /^\/transaction\/verify\/([^/]+)$/.exec(p))) {
      const t = this.transactions.get(decodeURIComponent(m[1]!));
      return t ? ok('Verification successful', this.transactionView(t)) : err(400, 'Transaction reference not found');
    }
    if (method === 'POST' && p === '/transfer') return this.transfer(b);
    if (method === 'GET' && (m = /^\/transfer\/verify\/([^/]+)$/.exec(p))) {
      const t = this.transfers.get(decodeURIComponent(m[1]!));
      return t ? ok('Transfer retrieved', this.transferView(t)) : err(404, 'Transfer not found', 'not_found');
    }
    if (method === 'GET' && (m = /^\/transferrecipient\/([^/]+)$/.exec(p))) {
      const r = this.recipients.get(decodeURIComponent(m[1]!));
      return r ? ok('Recipient retrieved', { ...r, domain: 'test' }) : err(404, 'Recipient not found', 'not_found');
    }
    if (method === 'POST' && p === '/refund') return this.refund(b);
    if (method === 'GET' && p === '/refund') {
      const key = url.searchParams.get('transaction');
      const tx = key ? this.findTransaction(key) : null;
      const list = this.refunds.filter((r) => !key || r.transaction === tx?.id);
      return ok(
        'Refunds retrieved',
        list.map((r) => this.refundView(r)),
      );
    }
    if (method === 'GET' && (m = /^\/refund\/(\d+)$/.exec(p))) {
      const r = this.refunds.find((x) => x.id === Number(m![1]));
      return r ? ok('Refund retrieved', this.refundView(r)) : err(404, 'Refund not found', 'not_found');
    }
    if (method === 'GET' && p === '/balance') {
      return ok(
        'Balances retrieved',
        [...this.balances].map(([currency, balance]) => ({ currency, balance })),
      );
    }
    return err(404, `Cannot ${method} ${p}`, 'not_found');
  }

  private initialize(b: Record<string, unknown>): Answer {
    if (typeof b.email !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(b.email)) {
      return err(400, 'Invalid Email Address Passed');
    }
    if (!isAmount(b.amount)) return err(400, 'Invalid Amount Sent');
    const reference = typeof b.reference === 'string' ? b.reference : `T${this.seq++}`;
    if (!/^[A-Za-z0-9.=-]+$/.test(reference)) return err(400, 'Invalid transaction reference');
    if (this.transactions.has(reference)) return err(400, 'Duplicate Transaction Reference', 'duplicate_reference');
    const id = this.seq++;
    const access_code = `ac${id.toString(36)}`;
    const t: FakeTransaction = {
      id,
      status: 'abandoned',
      reference,
      amount: Number(b.amount),
      currency: typeof b.currency === 'string' ? b.currency : 'NGN',
      email: b.email,
      metadata: b.metadata ?? null,
      access_code,
      authorization_url: `https://checkout.paystack.com/${access_code}`,
      callback_url: typeof b.callback_url === 'string' ? b.callback_url : null,
      gateway_response: null,
      paid_at: null,
      refunded: 0,
    };
    this.transactions.set(reference, t);
    return ok('Authorization URL created', { authorization_url: t.authorization_url, access_code, reference });
  }

  private transfer(b: Record<string, unknown>): Answer {
    if (b.source !== 'balance') return err(400, 'Invalid transfer source');
    if (!isAmount(b.amount)) return err(400, 'Invalid amount');
    const recipient = typeof b.recipient === 'string' ? this.recipients.get(b.recipient) : undefined;
    if (!recipient || !recipient.active) {
      return err(400, 'Recipient specified is invalid', 'invalid_transfer_recipient');
    }
    const reference = typeof b.reference === 'string' ? b.reference : `tr${this.seq++}`;
    if (!/^[a-z0-9_-]+$/.test(reference)) return err(400, 'Invalid transfer reference');
    if (this.transfers.has(reference)) {
      return err(400, 'Transfer with this reference already exists', 'duplicate_transfer_reference');
    }
    const currency = typeof b.currency === 'string' ? b.currency : 'NGN';
    const amount = Number(b.amount);
    const balance = this.balances.get(currency) ?? 0;
    if (balance < amount) {
      return err(400, 'Your balance is not enough to fulfil this request', 'insufficient_balance');
    }
    this.balances.set(currency, balance - amount);
    const id = this.seq++;
    const t: FakeTransfer = {
      id,
      status: 'pending',
      reference,
      transfer_code: `TRF_${id.toString(36)}fake`,
      amount,
      currency,
      reason: typeof b.reason === 'string' ? b.reason : null,
      recipient: recipient.id,
      source: 'balance',
      transferred_at: null,
    };
    this.transfers.set(reference, t);
    const answer = ok('Transfer has been queued', this.transferView(t, false));
    const auto = this.autoCompleteTransfers;
    if (auto) setImmediate(() => void this.completeTransfer(reference, auto).catch(() => undefined));
    return answer;
  }

  private findTransaction(key: string): FakeTransaction | null {
    return this.transactions.get(key) ?? [...this.transactions.values()].find((t) => String(t.id) === key) ?? null;
  }

  private refund(b: Record<string, unknown>): Answer {
    const key = typeof b.transaction === 'string' || typeof b.transaction === 'number' ? String(b.transaction) : '';
    const tx = this.findTransaction(key);
    if (!tx) return err(404, 'Transaction not found', 'not_found');
    if (tx.status !== 'success') return err(400, 'Transaction has not been completed', 'transaction_not_successful');
    const amount = b.amount === undefined ? tx.amount - tx.refunded : Number(b.amount);
    if (!isAmount(amount) || amount > tx.amount - tx.refunded) {
      return err(400, 'Refund amount cannot be greater than transaction amount', 'invalid_refund_amount');
    }
    tx.refunded += amount;
    this.balances.set(tx.currency, (this.balances.get(tx.currency) ?? 0) - amount);
    const r: FakeRefund = {
      id: this.seq++,
      transaction: tx.id,
      status: 'pending',
      amount,
      currency: typeof b.currency === 'string' ? b.currency : tx.currency,
      merchant_note: typeof b.merchant_note === 'string' ? b.merchant_note : null,
      customer_note: typeof b.customer_note === 'string' ? b.customer_note : null,
    };
    this.refunds.push(r);
    return ok('Refund has been queued for processing', {
      ...this.refundView(r),
      transaction: this.transactionView(tx),
    });
  }

  private refundView(r: FakeRefund) {
    return {
      id: r.id,
      integration: 100,
      domain: 'test',
      transaction: r.transaction,
      dispute: null,
      amount: r.amount,
      deducted_amount: 0,
      currency: r.currency,
      channel: 'card',
      fully_deducted: false,
      refunded_by: 'api',
      expected_at: now(),
      settlement: null,
      customer_note: r.customer_note,
      merchant_note: r.merchant_note,
      status: r.status,
      createdAt: now(),
      updatedAt: now(),
    };
  }
}

/** Starts a fake Paystack on 127.0.0.1, port 0. */
export const startPaystackServer = (o: PaystackServerOptions): Promise<PaystackServer> => new PaystackServer(o).start();
