import autocannon from 'autocannon';
import { mintToken } from '../../src/http/auth.js';
import { StepLatencies } from './latency.js';
import type { Unfinished } from './server.js';

export const STEPS = ['create', 'pay', 'deliver', 'confirm'] as const;
export type Step = (typeof STEPS)[number];

/** The bench's users: buyers and sellers spread over a few dozen identities, each with a token minted up front. */
export interface Identities {
  buyers: string[];
  sellers: string[];
  /** Bearer token per user id. */
  tokens: Map<string, string>;
}

export async function mintIdentities(secret: string): Promise<Identities> {
  const buyers = Array.from({ length: 97 }, (_, k) => `bench-buyer-${k}`);
  const sellers = Array.from({ length: 89 }, (_, k) => `bench-seller-${k}`);
  const tokens = new Map<string, string>();
  for (const sub of [...buyers, ...sellers]) tokens.set(sub, await mintToken(secret, { sub, role: 'user' }, '6h'));
  return { buyers, sellers, tokens };
}

export interface LoadResult {
  result: autocannon.Result;
  /** Latency of every 2xx response (the values autocannon records in its histogram), per lifecycle step. */
  steps: StepLatencies;
  /** Lifecycles whose escrow was created (201) / that ended RELEASED within the run. */
  created: number;
  completed: number;
  /** Responses that were not what the step expects (status and the start of the body), the first 10. */
  failures: string[];
  failed: number;
}

/** One connection's lifecycle in flight (autocannon keeps a context per connection and resets it per cycle). */
interface Ctx {
  i?: number;
  id?: string;
  reference?: string;
  buyer?: string;
  seller?: string;
  broken?: boolean;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/**
 * Runs autocannon for `duration` seconds with `connections` connections, each chaining the four requests of a
 * lifecycle: POST /api/escrow (buyer) → POST /api/sandbox/payments/{reference}/succeed → POST
 * /api/escrow/{id}/mark-delivered (seller) → POST /api/escrow/{id}/confirm-delivery (buyer), then the next lifecycle.
 * A step that fails breaks its lifecycle: the connection starts a new one (autocannon counts a reset).
 */
export function runLoad(
  port: number,
  o: { connections: number; duration: number; runId: string; ids: Identities; signal: AbortSignal },
): Promise<LoadResult> {
  const { ids } = o;
  const token = (user: string) => `Bearer ${ids.tokens.get(user)!}`;
  const out: Omit<LoadResult, 'result'> = {
    steps: new StepLatencies(),
    created: 0,
    completed: 0,
    failures: [],
    failed: 0,
  };
  let next = 0;
  // onResponse runs synchronously right before autocannon emits `response` for the same reply: it names the step.
  let lastStep: Step = 'create';
  const fail = (c: Ctx, step: Step, status: number, body: string) => {
    c.broken = true;
    out.failed++;
    if (out.failures.length < 10)
      out.failures.push(`${step} ${c.id ?? `#${c.i}`}: HTTP ${status} ${body.slice(0, 300)}`);
  };
  const requests: autocannon.Request[] = [
    {
      method: 'POST',
      path: '/api/escrow',
      setupRequest: (req, ctx) => {
        const c = ctx as Ctx;
        const i = next++;
        c.i = i;
        c.buyer = ids.buyers[i % ids.buyers.length]!;
        c.seller = ids.sellers[i % ids.sellers.length]!;
        // Amounts 10000-14900: never the sandbox's magic failing tails (02, 13, 14, 15).
        const body = JSON.stringify({
          offerId: `http-${o.runId}-${i}`,
          buyerId: c.buyer,
          sellerId: c.seller,
          rail: 'SANDBOX',
          currency: 'USD',
          amount: String(10_000 + (i % 50) * 100),
        });
        return { ...req, headers: { ...JSON_HEADERS, authorization: token(c.buyer) }, body };
      },
      onResponse: (status, body, ctx) => {
        lastStep = 'create';
        const c = ctx as Ctx;
        if (status !== 201) return fail(c, 'create', status, body);
        const escrow = JSON.parse(body) as { id: string; payment: { reference: string } };
        c.id = escrow.id;
        c.reference = escrow.payment.reference;
        out.created++;
      },
    },
    {
      method: 'POST',
      setupRequest: (req, ctx) => {
        const c = ctx as Ctx;
        if (c.broken || !c.reference) return null as unknown as autocannon.Request;
        return { ...req, path: `/api/sandbox/payments/${c.reference}/succeed`, headers: {}, body: undefined };
      },
      onResponse: (status, body, ctx) => {
        lastStep = 'pay';
        if (status !== 200 || !body.includes('"outcome":"FUNDS_HELD"')) fail(ctx, 'pay', status, body);
      },
    },
    {
      method: 'POST',
      setupRequest: (req, ctx) => {
        const c = ctx as Ctx;
        if (c.broken || !c.id) return null as unknown as autocannon.Request;
        return {
          ...req,
          path: `/api/escrow/${c.id}/mark-delivered`,
          headers: { ...JSON_HEADERS, authorization: token(c.seller!) },
          body: '{"title":"Bench delivery"}',
        };
      },
      onResponse: (status, body, ctx) => {
        lastStep = 'deliver';
        if (status !== 200 || !body.includes('"status":"DELIVERED"')) fail(ctx, 'deliver', status, body);
      },
    },
    {
      method: 'POST',
      setupRequest: (req, ctx) => {
        const c = ctx as Ctx;
        if (c.broken || !c.id) return null as unknown as autocannon.Request;
        return {
          ...req,
          path: `/api/escrow/${c.id}/confirm-delivery`,
          headers: { ...JSON_HEADERS, authorization: token(c.buyer!) },
          body: '{}',
        };
      },
      onResponse: (status, body, ctx) => {
        lastStep = 'confirm';
        // The escrow's own status: settlements say PENDING or SUCCEEDED, never RELEASED.
        if (status !== 200 || !body.includes('"status":"RELEASED"')) return fail(ctx, 'confirm', status, body);
        out.completed++;
      },
    },
  ];

  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections: o.connections,
        duration: o.duration,
        pipelining: 1,
        timeout: 30,
        requests,
      },
      (err: unknown, result) => {
        o.signal.removeEventListener('abort', stop);
        if (err) reject(err instanceof Error ? err : new Error(`autocannon failed: ${JSON.stringify(err)}`));
        else resolve({ ...out, result });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) out.steps.add(lastStep, responseTime);
    });
    const stop = () => instance.stop();
    o.signal.addEventListener('abort', stop);
  });
}

/**
 * Takes the escrows a run left midway (autocannon stops connections mid-lifecycle) to RELEASED over HTTP, with
 * `concurrency` at a time, so that every escrow of the schema can be checked. Not measured.
 */
export async function finishLifecycles(
  port: number,
  escrows: readonly Unfinished[],
  ids: Identities,
  concurrency: number,
): Promise<{ finished: number; failures: string[] }> {
  const base = `http://127.0.0.1:${port}`;
  const failures: string[] = [];
  let finished = 0;
  const call = async (method: string, path: string, user: string | null, body?: unknown) => {
    const headers: Record<string, string> = {};
    if (user) headers.authorization = `Bearer ${ids.tokens.get(user) ?? ''}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, text: await res.text() };
  };
  const finish = async (e: Unfinished) => {
    for (let attempt = 0; attempt < 8; attempt++) {
      const got = await call('GET', `/api/escrow/${e.id}`, e.buyerId);
      if (got.status !== 200) throw new Error(`GET ${e.id}: HTTP ${got.status} ${got.text.slice(0, 200)}`);
      const status = (JSON.parse(got.text) as { status: string }).status;
      let r: { status: number; text: string };
      if (status === 'RELEASED') return;
      else if (status === 'AWAIT_FUNDS') r = await call('POST', `/api/sandbox/payments/${e.reference}/succeed`, null);
      else if (status === 'FUNDS_HELD')
        r = await call('POST', `/api/escrow/${e.id}/mark-delivered`, e.sellerId, { title: 'Bench delivery' });
      else if (status === 'DELIVERED') r = await call('POST', `/api/escrow/${e.id}/confirm-delivery`, e.buyerId, {});
      else throw new Error(`escrow ${e.id} is ${status}`);
      // A 409 means a request autocannon abandoned got there first: read the status again.
      if (r.status >= 300 && r.status !== 409) throw new Error(`${e.id} (${status}): HTTP ${r.status} ${r.text}`);
    }
    throw new Error(`escrow ${e.id} did not reach RELEASED`);
  };
  let k = 0;
  const worker = async () => {
    while (k < escrows.length) {
      const e = escrows[k++]!;
      try {
        await finish(e);
        finished++;
      } catch (err) {
        if (failures.length < 10) failures.push(err instanceof Error ? err.message : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return { finished, failures };
}
