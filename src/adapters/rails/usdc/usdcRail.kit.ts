import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach } from 'node:test';
import type { SettlementOrder, VerifiedWebhook } from '../../../app/ports/index.js';
import { FakeCustodian } from '../../../../test/fakes/custodianServer.js';
import { UsdcRail, type UsdcRailOptions } from './usdcRail.js';

/** The USDC_BASE tests' setup: a fake custodian, a receiver of its webhooks verifying them with the rail, a clock. */
export const NOW = 1_790_000_000;
export const PAYER = '0xAbCdEf0123456789aBcDeF0123456789AbCdEf01';
export const SELLER = '0x1111111111111111111111111111111111111111';

let now = NOW;
export const custodian = new FakeCustodian('custodian-test-api-key', 'custodian-test-webhook-secret', () => now);
export const received: (VerifiedWebhook | Error)[] = [];
let receiver: Server;
let seq = 0;

export const rail = (over: Partial<UsdcRailOptions> = {}) =>
  new UsdcRail({
    apiUrl: custodian.url,
    apiKey: custodian.apiKey,
    webhookSecret: custodian.webhookSecret,
    minConfirmations: 12,
    timeoutMs: 1500, // a loaded CI machine must not time out calls the test expects to answer
    retries: 2,
    baseDelayMs: 1,
    nowSeconds: () => now,
    ...over,
  });

export const lastAction = () => {
  const r = received.at(-1);
  assert.ok(r && !(r instanceof Error), `a verified webhook (got ${r instanceof Error ? r.message : 'nothing'})`);
  return r.action;
};

export function order(over: Partial<SettlementOrder> = {}): SettlementOrder {
  const id = `set-${++seq}`;
  return {
    settlementId: id,
    escrowId: `esc-${seq}`,
    kind: 'PAYOUT',
    amount: 995_000n,
    currency: 'USDC',
    beneficiaryId: 'seller-1',
    paymentReference: `esc-${seq}`,
    fundingTransactionId: null,
    destination: SELLER,
    attempt: 1,
    idempotencyKey: id, // as the worker sends it on the first round (`<id>-r<n>` after admin retries)
    ...over,
  };
}

/** An escrow with a deposit address and a confirmed deposit of `amount` from PAYER. */
export async function fundedEscrow(amount = '1000000') {
  const escrowId = `esc-f-${++seq}`;
  const r = rail();
  const instr = await r.createPaymentInstructions({
    escrowId,
    amount: BigInt(amount),
    currency: 'USDC',
    idempotencyKey: `create-${escrowId}`,
  });
  const dep = await custodian.deposit(instr.reference, { from: PAYER, amount, confirmations: 12 });
  return { escrowId, reference: instr.reference, txHash: dep.txHash, rail: r };
}

/** Registers the hooks of a test file: the fake and the receiver run for the whole file. */
export function useFakeCustodian(): void {
  before(async () => {
    await custodian.start();
    const r = rail();
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        r.verifyWebhook(Buffer.concat(chunks).toString('utf8'), headers).then(
          (v) => (received.push(v), res.writeHead(200).end()),
          (e: Error) => (received.push(e), res.writeHead(400).end()),
        );
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    custodian.webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/webhooks/custodian`;
  });

  after(async () => {
    await custodian.stop();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  beforeEach(() => {
    now = NOW;
    custodian.available = 10_000_000_000n;
    custodian.autoComplete = false;
    custodian.confirmedAt = 1;
  });
}
