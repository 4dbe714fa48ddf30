import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/**
 * A fake Stripe API over real HTTP, for tests only. It speaks Stripe's v1 shapes: form-encoded bodies with bracket
 * keys (as stripe-node sends them), `Authorization: Bearer <key>`, `Idempotency-Key` (the same key and parameters
 * replay the first answer with `idempotent-replayed: true`; other parameters are an `idempotency_error`), a
 * `Request-Id` on every answer and errors as `{error: {type, code, message, param}}`. It keeps state (payment intents,
 * charges, refunds, transfers, connected accounts, balance) and signs webhooks with stripe-node's own test helper.
 *
 * Faults (failNext / hangNext / rateLimitNext) hit the next requests before any endpoint runs, except a hang, which
 * runs the request (and stores its idempotent answer) and then never answers: the money moved, the client timed out.
 */
export interface FakeStripeOptions {
  secretKey?: string;
  webhookSecret?: string;
  /** When set, the fake POSTs events here as Stripe would (payment, transfer, refund, dispute). */
  webhookUrl?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  params: Record<string, unknown>;
  idempotencyKey: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}

type Obj = Record<string, unknown> & { id: string };
type Fault = { kind: 'fail'; status: number } | { kind: 'hang' } | { kind: 'rate'; retryAfter: number };
interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const API_VERSION = '2026-10-28.endive';
const now = () => Math.floor(Date.now() / 1000);
const rid = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;

export class FakeStripe {
  readonly secretKey: string;
  readonly webhookSecret: string;
  webhookUrl: string | undefined;
  readonly requests: RecordedRequest[] = [];
  /** Every webhook delivery attempted: event type, id and the answer's HTTP status (0 when unreachable). */
  readonly deliveries: { type: string; id: string; status: number }[] = [];
  readonly paymentIntents = new Map<string, Obj>();
  readonly charges = new Map<string, Obj>();
  readonly refunds = new Map<string, Obj>();
  readonly transfers = new Map<string, Obj>();
  readonly accounts = new Map<string, Obj>();
  /** The status new refunds get (Stripe: succeeded for cards; pending for some methods). */
  nextRefundStatus: 'succeeded' | 'pending' | 'failed' = 'succeeded';
  private readonly idem = new Map<string, { fingerprint: string; answer: Answer; requestId: string }>();
  private readonly faults: Fault[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  private readonly server: Server;

  constructor(opts: FakeStripeOptions = {}) {
    this.secretKey = opts.secretKey ?? 'sk_test_fake_platform_key';
    this.webhookSecret = opts.webhookSecret ?? 'whsec_fake_webhook_secret';
    this.webhookUrl = opts.webhookUrl;
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this.url();
  }

  url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await this.idle();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Waits for webhook deliveries under way. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  failNext(n: number, status = 500): void {
    for (let i = 0; i < n; i++) this.faults.push({ kind: 'fail', status });
  }
  hangNext(n: number): void {
    for (let i = 0; i < n; i++) this.faults.push({ kind: 'hang' });
  }
  rateLimitNext(n: number, retryAfterSeconds = 0): void {
    for (let i = 0; i < n; i++) this.faults.push({ kind: 'rate', retryAfter: retryAfterSeconds });
  }

  /** Registers a connected account (Connect), with its transfers capability. */
  addAccount(
    id = rid('acct'),
    opts: { transfers?: 'active' | 'inactive' | 'pending'; payoutsEnabled?: boolean; disabledReason?: string } = {},
  ): Obj {
    const transfers = opts.transfers ?? 'active';
    const account: Obj = {
      id,
      object: 'account',
      type: 'express',
      charges_enabled: transfers === 'active',
      payouts_enabled: opts.payoutsEnabled ?? transfers === 'active',
      details_submitted: transfers === 'active',
      capabilities: { transfers },
      requirements: { currently_due: [], disabled_reason: opts.disabledReason ?? null },
      created: now(),
      metadata: {},
    };
    this.accounts.set(id, account);
    return account;
  }

  /** The buyer pays: the intent succeeds with a new charge (payment_intent.succeeded is delivered when configured). */
  async pay(piId: string, amount?: number): Promise<Obj> {
    const pi = this.must(this.paymentIntents, piId);
    const paid = amount ?? (pi.amount as number);
    const charge: Obj = {
      id: rid('ch'),
      object: 'charge',
      amount: paid,
      amount_captured: paid,
      amount_refunded: 0,
      balance_transaction: rid('txn'),
      captured: true,
      created: now(),
      currency: pi.currency,
      livemode: false,
      metadata: pi.metadata,
      paid: true,
      payment_intent: pi.id,
      refunded: false,
      status: 'succeeded',
      transfer_group: pi.transfer_group,
    };
    this.charges.set(charge.id, charge);
    Object.assign(pi, { status: 'succeeded', latest_charge: charge.id, amount_received: paid });
    await this.notify('payment_intent.succeeded', pi);
    return pi;
  }

  /** A payment attempt is declined: the intent goes back to requires_payment_method with last_payment_error. */
  async decline(piId: string, code = 'card_declined', message = 'Your card was declined.'): Promise<Obj> {
    const pi = this.must(this.paymentIntents, piId);
    const charge = rid('ch');
    Object.assign(pi, {
      status: 'requires_payment_method',
      latest_charge: charge,
      last_payment_error: { type: 'card_error', code, decline_code: 'generic_decline', message, charge },
    });
    await this.notify('payment_intent.payment_failed', pi);
    return pi;
  }

  /** The buyer's bank disputes the payment (charge.dispute.created is delivered when configured). */
  async dispute(piId: string, reason = 'fraudulent'): Promise<Obj> {
    const pi = this.must(this.paymentIntents, piId);
    const dispute: Obj = {
      id: rid('dp'),
      object: 'dispute',
      amount: pi.amount_received,
      charge: pi.latest_charge,
      created: now(),
      currency: pi.currency,
      livemode: false,
      metadata: {},
      payment_intent: pi.id,
      reason,
      status: 'needs_response',
    };
    await this.notify('charge.dispute.created', dispute);
    return dispute;
  }

  /** The platform takes a transfer back (transfer.reversed is delivered when configured). */
  async reverseTransfer(trId: string): Promise<Obj> {
    const tr = this.must(this.transfers, trId);
    Object.assign(tr, { amount_reversed: tr.amount, reversed: true });
    await this.notify('transfer.reversed', tr);
    return tr;
  }

  /** A refund fails at the bank (refund.updated, status failed, is delivered when configured). */
  async failRefund(reId: string, reason = 'expired_or_canceled_card'): Promise<Obj> {
    const re = this.must(this.refunds, reId);
    const charge = this.must(this.charges, re.charge as string);
    if (re.status !== 'failed') charge.amount_refunded = (charge.amount_refunded as number) - (re.amount as number);
    Object.assign(re, { status: 'failed', failure_reason: reason });
    await this.notify('refund.updated', re);
    return re;
  }

  /** An event as Stripe sends it. */
  event(type: string, object: unknown): Obj {
    return {
      id: rid('evt'),
      object: 'event',
      api_version: API_VERSION,
      created: now(),
      data: { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
  }

  /** The body and Stripe-Signature header of an event, signed with stripe-node's own test helper. */
  signedWebhook(
    event: unknown,
    opts: { secret?: string; timestamp?: number } = {},
  ): { rawBody: string; headers: Record<string, string> } {
    const rawBody = JSON.stringify(event, null, 2);
    const header = Stripe.webhooks.generateTestHeaderString({
      payload: rawBody,
      secret: opts.secret ?? this.webhookSecret,
      ...(opts.timestamp !== undefined ? { timestamp: opts.timestamp } : {}),
    });
    return { rawBody, headers: { 'stripe-signature': header } };
  }

  /** POSTs a signed event to a URL as Stripe does; answers the HTTP status (0 when nobody answered). */
  async deliver(url: string, event: Obj): Promise<number> {
    const { rawBody, headers } = this.signedWebhook(event);
    let status: number;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Stripe/1.0' },
        body: rawBody,
      });
      await res.text();
      status = res.status;
    } catch {
      status = 0;
    }
    this.deliveries.push({ type: event.type as string, id: event.id, status });
    return status;
  }

  private async notify(type: string, object: Obj): Promise<void> {
    if (!this.webhookUrl) return;
    await this.deliver(this.webhookUrl, this.event(type, structuredClone(object)));
  }

  /** Delivers after the API call answered, as Stripe does (tests `await idle()`). */
  private notifyLater(type: string, object: Obj): void {
    if (!this.webhookUrl) return;
    const snapshot = structuredClone(object);
    const p = new Promise((resolve) => setImmediate(resolve)).then(() => this.notify(type, snapshot));
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private must(map: Map<string, Obj>, id: string): Obj {
    const o = map.get(id);
    if (!o) throw new Error(`fake stripe: no such object ${id}`);
    return o;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const raw = method === 'GET' || method === 'DELETE' ? url.search.slice(1) : Buffer.concat(chunks).toString();
    const params = decodeForm(raw);
    const key = req.headers['idempotency-key'] as string | undefined;
    this.requests.push({ method, path: url.pathname, params, idempotencyKey: key, headers: req.headers });
    const requestId = rid('req');
    const send = (a: Answer) => {
      res.writeHead(a.status, { 'content-type': 'application/json', 'request-id': requestId, ...a.headers });
      res.end(JSON.stringify(a.body));
    };
    const fault = this.faults.shift();
    if (fault?.kind === 'fail') return send(err(fault.status, 'api_error', null, 'An unknown error occurred'));
    if (fault?.kind === 'rate') {
      const e = err(429, 'invalid_request_error', 'rate_limit', 'Too many requests hit the API too quickly.');
      return send({ ...e, headers: { 'retry-after': String(fault.retryAfter) } });
    }
    if (req.headers.authorization !== `Bearer ${this.secretKey}`) {
      return send(err(401, 'invalid_request_error', null, 'Invalid API Key provided: sk_****'));
    }
    const fingerprint = `${method} ${url.pathname} ${JSON.stringify(params)}`;
    const seen = method === 'POST' && key ? this.idem.get(key) : undefined;
    let answer: Answer;
    if (seen && seen.fingerprint !== fingerprint) {
      answer = err(
        400,
        'idempotency_error',
        null,
        `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
      );
    } else if (seen) {
      answer = {
        ...seen.answer,
        headers: { 'idempotent-replayed': 'true', 'original-request': seen.requestId },
      };
    } else {
      answer = this.route(method, url.pathname, params);
      if (method === 'POST' && key) this.idem.set(key, { fingerprint, answer, requestId });
    }
    if (fault?.kind === 'hang') return; // applied, never answered: the client times out
    send(answer);
  }

  private route(method: string, path: string, p: Record<string, unknown>): Answer {
    const parts = path.split('/').filter(Boolean); // v1, resource, id?, action?
    const [v1, resource, id, action] = parts;
    if (v1 !== 'v1') return notFound(path);
    const at = `${method} ${resource}${id ? '/:id' : ''}${action ? `/${action}` : ''}`;
    switch (at) {
      case 'POST payment_intents':
        return this.createPaymentIntent(p);
      case 'GET payment_intents/:id':
        return this.get(this.paymentIntents, id!, 'payment_intent', 'intent');
      case 'POST payment_intents/:id/cancel':
        return this.cancelPaymentIntent(id!, p);
      case 'GET charges/:id':
        return this.get(this.charges, id!, 'charge', 'id');
      case 'POST refunds':
        return this.createRefund(p);
      case 'GET refunds':
        return list(
          [...this.refunds.values()].filter((r) => matches(r, p, ['charge', 'payment_intent'])),
          p,
        );
      case 'GET refunds/:id':
        return this.get(this.refunds, id!, 'refund', 'refund');
      case 'POST transfers':
        return this.createTransfer(p);
      case 'GET transfers':
        return list(
          [...this.transfers.values()].filter((t) => matches(t, p, ['transfer_group', 'destination'])),
          p,
        );
      case 'GET transfers/:id':
        return this.get(this.transfers, id!, 'transfer', 'id');
      case 'GET accounts/:id':
        return this.get(this.accounts, id!, 'account', 'account');
      case 'GET balance':
        return { status: 200, body: this.balance() };
      default:
        return notFound(path);
    }
  }

  private get(map: Map<string, Obj>, id: string, what: string, param: string): Answer {
    const o = map.get(id);
    if (!o) return err(404, 'invalid_request_error', 'resource_missing', `No such ${what}: '${id}'`, param);
    return { status: 200, body: o };
  }

  private createPaymentIntent(p: Record<string, unknown>): Answer {
    const amount = positiveInt(p.amount);
    if (amount === null)
      return err(400, 'invalid_request_error', 'parameter_missing', 'Missing required param: amount.', 'amount');
    if (typeof p.currency !== 'string') {
      return err(400, 'invalid_request_error', 'parameter_missing', 'Missing required param: currency.', 'currency');
    }
    const id = rid('pi');
    const apm = p.automatic_payment_methods as { enabled?: string } | undefined;
    const pi: Obj = {
      id,
      object: 'payment_intent',
      amount,
      amount_capturable: 0,
      amount_received: 0,
      automatic_payment_methods: apm ? { enabled: apm.enabled === 'true' } : null,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: 'automatic_async',
      client_secret: `${id}_secret_${randomBytes(12).toString('hex')}`,
      confirmation_method: 'automatic',
      created: now(),
      currency: p.currency,
      description: p.description ?? null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: p.metadata ?? {},
      on_behalf_of: p.on_behalf_of ?? null,
      payment_method: null,
      payment_method_types: p.payment_method_types ?? ['card'],
      status: 'requires_payment_method',
      transfer_data: p.transfer_data ?? null,
      transfer_group: p.transfer_group ?? null,
    };
    this.paymentIntents.set(id, pi);
    return { status: 200, body: pi };
  }

  private cancelPaymentIntent(id: string, p: Record<string, unknown>): Answer {
    const pi = this.paymentIntents.get(id);
    if (!pi) return err(404, 'invalid_request_error', 'resource_missing', `No such payment_intent: '${id}'`, 'intent');
    if (pi.status === 'succeeded' || pi.status === 'canceled') {
      return err(
        400,
        'invalid_request_error',
        'payment_intent_unexpected_state',
        `You cannot cancel this PaymentIntent because it has a status of ${String(pi.status)}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
        undefined,
        { payment_intent: pi },
      );
    }
    Object.assign(pi, { status: 'canceled', canceled_at: now(), cancellation_reason: p.cancellation_reason ?? null });
    return { status: 200, body: pi };
  }

  private createRefund(p: Record<string, unknown>): Answer {
    const pi = typeof p.payment_intent === 'string' ? this.paymentIntents.get(p.payment_intent) : undefined;
    const chargeId = typeof p.charge === 'string' ? p.charge : (pi?.latest_charge as string | undefined);
    if (typeof p.payment_intent === 'string' && !pi) {
      return err(
        400,
        'invalid_request_error',
        'resource_missing',
        `No such payment_intent: '${p.payment_intent}'`,
        'payment_intent',
      );
    }
    const charge = chargeId ? this.charges.get(chargeId) : undefined;
    if (!charge) {
      return err(400, 'invalid_request_error', 'resource_missing', `No such charge: '${String(chargeId)}'`, 'charge');
    }
    const remaining = (charge.amount as number) - (charge.amount_refunded as number);
    if (remaining <= 0) {
      return err(
        400,
        'invalid_request_error',
        'charge_already_refunded',
        `Charge ${charge.id} has already been refunded.`,
      );
    }
    const amount = p.amount === undefined ? remaining : positiveInt(p.amount);
    if (amount === null)
      return err(400, 'invalid_request_error', 'parameter_invalid_integer', 'Invalid integer', 'amount');
    if (amount > remaining) {
      return err(
        400,
        'invalid_request_error',
        'amount_too_large',
        `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`,
        'amount',
      );
    }
    const status = this.nextRefundStatus;
    const refund: Obj = {
      id: rid('re'),
      object: 'refund',
      amount,
      balance_transaction: rid('txn'),
      charge: charge.id,
      created: now(),
      currency: charge.currency,
      metadata: p.metadata ?? {},
      payment_intent: charge.payment_intent,
      reason: p.reason ?? null,
      status,
      ...(status === 'failed' ? { failure_reason: 'unknown' } : {}),
    };
    this.refunds.set(refund.id, refund);
    if (status !== 'failed') {
      charge.amount_refunded = (charge.amount_refunded as number) + amount;
      charge.refunded = charge.amount_refunded === charge.amount;
      const ours = [...this.refunds.values()].filter((r) => r.charge === charge.id).reverse();
      this.notifyLater('charge.refunded', {
        ...charge,
        refunds: {
          object: 'list',
          data: ours,
          has_more: false,
          total_count: ours.length,
          url: `/v1/charges/${charge.id}/refunds`,
        },
      });
    }
    return { status: 200, body: refund };
  }

  private createTransfer(p: Record<string, unknown>): Answer {
    const amount = positiveInt(p.amount);
    if (amount === null)
      return err(400, 'invalid_request_error', 'parameter_missing', 'Missing required param: amount.', 'amount');
    const account = typeof p.destination === 'string' ? this.accounts.get(p.destination) : undefined;
    if (!account) {
      return err(
        400,
        'invalid_request_error',
        'resource_missing',
        `No such destination: '${String(p.destination)}'`,
        'destination',
      );
    }
    if ((account.capabilities as { transfers?: string }).transfers !== 'active') {
      return err(
        400,
        'invalid_request_error',
        'insufficient_capabilities_for_transfer',
        'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments',
        'destination',
      );
    }
    let charge: Obj | undefined;
    if (typeof p.source_transaction === 'string') {
      charge = this.charges.get(p.source_transaction);
      if (!charge) {
        return err(
          400,
          'invalid_request_error',
          'resource_missing',
          `No such charge: '${p.source_transaction}'`,
          'source_transaction',
        );
      }
      const transferred = [...this.transfers.values()]
        .filter((t) => t.source_transaction === charge!.id)
        .reduce((s, t) => s + (t.amount as number), 0);
      const left = (charge.amount as number) - (charge.amount_refunded as number) - transferred;
      if (amount > left) {
        return err(
          400,
          'invalid_request_error',
          'balance_insufficient',
          `The transfer amount (${amount}) exceeds what is left of source transaction ${charge.id} (${left}).`,
          'amount',
        );
      }
    }
    const transfer: Obj = {
      id: rid('tr'),
      object: 'transfer',
      amount,
      amount_reversed: 0,
      balance_transaction: rid('txn'),
      created: now(),
      currency: p.currency,
      description: p.description ?? null,
      destination: account.id,
      destination_payment: rid('py'),
      livemode: false,
      metadata: p.metadata ?? {},
      reversals: { object: 'list', data: [], has_more: false, total_count: 0, url: '' },
      reversed: false,
      source_transaction: charge?.id ?? null,
      source_type: 'card',
      transfer_group: p.transfer_group ?? null,
    };
    this.transfers.set(transfer.id, transfer);
    this.notifyLater('transfer.created', transfer);
    return { status: 200, body: transfer };
  }

  private balance(): Obj {
    const by = new Map<string, number>();
    const add = (currency: unknown, n: number) => by.set(String(currency), (by.get(String(currency)) ?? 0) + n);
    for (const c of this.charges.values()) add(c.currency, (c.amount as number) - (c.amount_refunded as number));
    for (const t of this.transfers.values()) add(t.currency, -((t.amount as number) - (t.amount_reversed as number)));
    const available = [...by].map(([currency, amount]) => ({ amount, currency, source_types: { card: amount } }));
    const pending = [...by.keys()].map((currency) => ({ amount: 0, currency, source_types: { card: 0 } }));
    return { id: 'balance', object: 'balance', available, pending, livemode: false };
  }
}

function err(
  status: number,
  type: string,
  code: string | null,
  message: string,
  param?: string,
  extra: Record<string, unknown> = {},
): Answer {
  const error: Record<string, unknown> = { type, message, ...extra };
  if (code) error.code = code;
  if (code) error.doc_url = `https://docs.stripe.com/error-codes/${code.replace(/_/g, '-')}`;
  if (param) error.param = param;
  return { status, body: { error } };
}

function notFound(path: string): Answer {
  return err(404, 'invalid_request_error', null, `Unrecognized request URL (${path}).`);
}

function positiveInt(v: unknown): number | null {
  if (typeof v !== 'string' || !/^[0-9]+$/.test(v)) return null;
  const n = Number(v);
  return n > 0 && Number.isSafeInteger(n) ? n : null;
}

function matches(o: Obj, p: Record<string, unknown>, keys: string[]): boolean {
  return keys.every((k) => p[k] === undefined || o[k] === p[k]);
}

/** A Stripe list page: newest first, `limit` (default 10) and `starting_after`. */
function list(items: Obj[], p: Record<string, unknown>): Answer {
  const all = [...items].reverse();
  const limit = Math.min(100, positiveInt(p.limit) ?? 10);
  const from = typeof p.starting_after === 'string' ? all.findIndex((o) => o.id === p.starting_after) + 1 : 0;
  const data = all.slice(from, from + limit);
  return { status: 200, body: { object: 'list', data, has_more: from + limit < all.length, url: '/v1/list' } };
}

/** Decodes `a[b][0]=c&d=e` (stripe-node's encoding) into nested objects and arrays. */
export function decodeForm(raw: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const path = key.split(/\[|\]\[|\]/).filter((s) => s.length > 0);
    let node: Record<string, unknown> = root;
    path.forEach((seg, i) => {
      if (i === path.length - 1) node[seg] = value;
      else node = (node[seg] ??= {}) as Record<string, unknown>;
    });
  }
  return arrays(root) as Record<string, unknown>;
}

function arrays(v: unknown): unknown {
  if (!v || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  for (const k of keys) o[k] = arrays(o[k]);
  return keys.length > 0 && keys.every((k, i) => k === String(i)) ? keys.map((k) => o[k]) : o;
}
