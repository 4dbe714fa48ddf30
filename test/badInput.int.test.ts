import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebhookSignatureError } from '../src/app/ports/index.js';
import { DomainError, JSON_MAX_DEPTH, METADATA_MAX_DEPTH } from '../src/domain/index.js';
import {
  engineKinds,
  actors,
  assertDatabaseVerifies,
  escrowInput,
  fundedEscrow,
  tableCounts,
  testEngine,
  type TestEngine,
} from './harness.js';

/** `{"a":{"a":…}}`, `levels` objects deep, built without recursion. */
function nested(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
}

for (const kind of engineKinds()) {
  describe(`bad input writes nothing on ${kind}`, () => {
    let t: TestEngine;
    let funded: string;
    before(async () => {
      t = await testEngine(kind);
      funded = await fundedEscrow(t.engine);
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(t.engine);
      } finally {
        await t.close();
      }
    });

    const cases: [string, string, (t: TestEngine) => Promise<unknown>][] = [
      [
        'unknown escrow',
        'ESCROW_NOT_FOUND',
        (x) => x.engine.service.execute('CancelEscrow', '0190f0c8-0000-7000-8000-0000000000aa', actors.admin, {}),
      ],
      [
        'malformed escrow id',
        'ESCROW_NOT_FOUND',
        (x) => x.engine.service.execute('CancelEscrow', 'nope', actors.admin, {}),
      ],
      [
        'a stranger acting on an escrow',
        'ESCROW_NOT_FOUND',
        () => t.engine.service.execute('MarkDelivered', funded, actors.stranger, { title: 'x' }),
      ],
      [
        'the buyer marking delivered',
        'FORBIDDEN',
        () => t.engine.service.execute('MarkDelivered', funded, actors.buyer, { title: 'x' }),
      ],
      ['the seller releasing', 'FORBIDDEN', () => t.engine.service.execute('ReleaseEscrow', funded, actors.seller, {})],
      [
        'a user creating an escrow for others',
        'FORBIDDEN',
        (x) => x.engine.service.create(actors.stranger, escrowInput()),
      ],
      [
        'a user setting fees',
        'FORBIDDEN',
        (x) => x.engine.service.create(actors.buyer, escrowInput({ buyerFee: '0' })),
      ],
      [
        'decimal amount',
        'INVALID_AMOUNT',
        (x) => x.engine.service.create(actors.buyer, escrowInput({ amount: '100.50' })),
      ],
      ['float amount', 'INVALID_AMOUNT', (x) => x.engine.service.create(actors.buyer, escrowInput({ amount: 100.5 }))],
      [
        'exponent amount',
        'INVALID_AMOUNT',
        (x) => x.engine.service.create(actors.buyer, escrowInput({ amount: '1e5' })),
      ],
      ['zero amount', 'INVALID_AMOUNT', (x) => x.engine.service.create(actors.buyer, escrowInput({ amount: '0' }))],
      [
        'negative amount',
        'INVALID_AMOUNT',
        (x) => x.engine.service.create(actors.buyer, escrowInput({ amount: '-100' })),
      ],
      [
        'amount beyond 10^15',
        'INVALID_AMOUNT',
        (x) => x.engine.service.create(actors.buyer, escrowInput({ amount: '9999999999999999' })),
      ],
      [
        'currency the rail does not take',
        'CURRENCY_NOT_SUPPORTED',
        (x) => x.engine.service.create(actors.buyer, escrowInput({ currency: 'JPY' })),
      ],
      [
        'a rail that is not enabled',
        'VALIDATION_ERROR',
        (x) => x.engine.service.create(actors.buyer, escrowInput({ rail: 'STRIPE' })),
      ],
      [
        'buyer equals seller',
        'VALIDATION_ERROR',
        (x) => x.engine.service.create(actors.buyer, escrowInput({ sellerId: actors.buyer.id })),
      ],
      [
        'metadata over 16 KB',
        'VALIDATION_ERROR',
        (x) => x.engine.service.create(actors.buyer, escrowInput({ metadata: { blob: 'x'.repeat(17_000) } })),
      ],
      [
        'refund of more than is held',
        'REFUND_EXCEEDS_HELD',
        () =>
          t.engine.service.execute('RefundEscrow', funded, actors.admin, { refundAmount: '10001', reason: 'too much' }),
      ],
      [
        'negative refund',
        'INVALID_AMOUNT',
        () => t.engine.service.execute('RefundEscrow', funded, actors.admin, { refundAmount: '-1', reason: 'neg' }),
      ],
      [
        'empty delivery title',
        'VALIDATION_ERROR',
        () => t.engine.service.execute('MarkDelivered', funded, actors.seller, { title: '  ' }),
      ],
      [
        'a transition from the wrong state',
        'INVALID_STATE_TRANSITION',
        () => t.engine.service.execute('ConfirmDelivery', funded, actors.buyer, {}),
      ],
      [
        'metadata nested 20,000 levels deep',
        'VALIDATION_ERROR',
        (x) => x.engine.service.create(actors.buyer, escrowInput({ metadata: nested(20_000) })),
      ],
      [
        'metadata nested past the metadata limit',
        'VALIDATION_ERROR',
        (x) => x.engine.service.create(actors.buyer, escrowInput({ metadata: nested(METADATA_MAX_DEPTH + 1) })),
      ],
      [
        'a NUL in a metadata value',
        'VALIDATION_ERROR',
        (x) => x.engine.service.create(actors.buyer, escrowInput({ metadata: { note: 'a\u0000b' } })),
      ],
      [
        'a lone surrogate in a metadata key',
        'VALIDATION_ERROR',
        (x) => x.engine.service.create(actors.buyer, escrowInput({ metadata: { ['\ud800']: 'x' } })),
      ],
      [
        'a NUL in a cancel reason',
        'VALIDATION_ERROR',
        () => t.engine.service.execute('CancelEscrow', funded, actors.admin, { reason: 'oops\u0000' }),
      ],
      [
        'a lone surrogate in a delivery title',
        'VALIDATION_ERROR',
        () => t.engine.service.execute('MarkDelivered', funded, actors.seller, { title: 'box \udc00' }),
      ],
      [
        'a NUL in delivery evidence',
        'VALIDATION_ERROR',
        () =>
          t.engine.service.execute('MarkDelivered', funded, actors.seller, { title: 'ok', evidence: ['x', '\u0000'] }),
      ],
      [
        'a NUL in the actor id of a command whose refusal is recorded',
        'VALIDATION_ERROR',
        (x) =>
          x.engine.handler.handle({
            commandId: '0190f0c8-0000-7000-8000-0000000000ab',
            type: 'CancelEscrow',
            escrowId: funded,
            actor: { id: 'ops\u0000admin', role: 'admin' },
            issuedAt: x.clock.now().toISOString(),
            correlationId: 'nul-actor',
            causationId: null,
            payload: {},
            recordRejection: true,
          }),
      ],
      [
        'a malformed command id',
        'VALIDATION_ERROR',
        () => t.engine.service.execute('MarkDelivered', funded, actors.seller, { title: 'ok' }, { commandId: 'abc' }),
      ],
    ];

    for (const [name, code, run] of cases) {
      it(`${name} → ${code}`, async () => {
        const before = await tableCounts(t.db);
        await assert.rejects(run(t), (err: unknown) => {
          assert.ok(err instanceof DomainError, `expected a DomainError, got ${String(err)}`);
          assert.equal(err.code, code, err.message);
          return true;
        });
        assert.deepEqual(await tableCounts(t.db), before);
      });
    }

    it('text the database cannot store is refused naming its field, the limit or the rule', async () => {
      const refusal = async (run: () => Promise<unknown>) => {
        try {
          await run();
        } catch (err) {
          assert.ok(err instanceof DomainError, String(err));
          return err.message;
        }
        assert.fail('accepted');
      };
      assert.equal(
        await refusal(() => t.engine.service.create(actors.buyer, escrowInput({ metadata: { note: 'a\u0000b' } }))),
        'metadata.note: must not contain NUL (\\u0000) or unpaired surrogate characters',
      );
      assert.equal(
        await refusal(() => t.engine.service.create(actors.buyer, escrowInput({ metadata: nested(20_000) }))),
        `metadata: must not be nested more than ${JSON_MAX_DEPTH} levels deep`,
      );
      assert.equal(
        await refusal(() => t.engine.service.create(actors.buyer, escrowInput({ metadata: nested(17) }))),
        `metadata: must not be nested more than ${METADATA_MAX_DEPTH} levels deep`,
      );
      assert.equal(
        await refusal(() =>
          t.engine.service.execute('MarkDelivered', funded, actors.seller, { title: 'ok', evidence: ['x', '\ud800'] }),
        ),
        'evidence[1]: must not contain NUL (\\u0000) or unpaired surrogate characters',
      );
    });

    it('a signed settlement result whose settlementId is not a UUID is recorded unmatched and acknowledged', async () => {
      const body = JSON.stringify({
        id: 'evt_settlement_not_uuid',
        type: 'settlement.succeeded',
        data: { settlementId: 'po_123-not-a-uuid', providerReference: 'po_123' },
      });
      const headers = { 'x-sandbox-signature': t.engine.sandbox.sign(body) };
      const before = await tableCounts(t.db);
      // Acknowledged (a provider retries anything else for days), stored as processed and unmatched, for operators.
      assert.deepEqual(await t.engine.webhooks.receive('sandbox', body, headers), {
        status: 'processed',
        outcome: 'UNMATCHED',
        escrowId: null,
      });
      const { rows } = await t.db.query<{ processed: boolean; outcome: string }>(
        `SELECT processed_at IS NOT NULL AS processed, outcome FROM webhook_events
          WHERE event_id = 'evt_settlement_not_uuid'`,
      );
      assert.deepEqual(rows, [{ processed: true, outcome: 'UNMATCHED' }]);
      assert.deepEqual(await tableCounts(t.db), { ...before, webhook_events: before.webhook_events! + 1 });
      // The provider's redelivery changes nothing.
      assert.equal((await t.engine.webhooks.receive('sandbox', body, headers)).status, 'processed');
      assert.deepEqual(await tableCounts(t.db), { ...before, webhook_events: before.webhook_events! + 1 });
    });

    it('a webhook with a bad signature is refused and nothing is stored', async () => {
      const before = await tableCounts(t.db);
      const body = JSON.stringify({ id: 'evt_forged', type: 'payment.succeeded', data: {} });
      const forged = `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`;
      for (const headers of [{}, { 'x-sandbox-signature': forged }, { 'x-sandbox-signature': 'garbage' }]) {
        await assert.rejects(t.engine.webhooks.receive('sandbox', body, headers), WebhookSignatureError);
      }
      const stale = t.engine.sandbox.sign(body, Math.floor(Date.now() / 1000) - 301);
      await assert.rejects(t.engine.webhooks.receive('sandbox', body, { 'x-sandbox-signature': stale }), /tolerance/);
      const tampered = t.engine.sandbox.sign(body);
      await assert.rejects(
        t.engine.webhooks.receive('sandbox', body.replace('forged', 'forgeD'), { 'x-sandbox-signature': tampered }),
        WebhookSignatureError,
      );
      assert.deepEqual(await tableCounts(t.db), before);
    });

    it('a signed payment for an unknown reference is stored unprocessed with its error, for reprocessing', async () => {
      const body = JSON.stringify({
        id: 'evt_unknown_ref',
        type: 'payment.succeeded',
        data: { reference: 'sbx_nope', transactionId: 'tx', amount: '100', currency: 'USD' },
      });
      const out = await t.engine.webhooks.receive('sandbox', body, {
        'x-sandbox-signature': t.engine.sandbox.sign(body),
      });
      assert.equal(out.status, 'failed');
      const { rows } = await t.db.query<{ processed: boolean; last_error: string }>(
        `SELECT processed_at IS NOT NULL AS processed, last_error FROM webhook_events WHERE event_id = 'evt_unknown_ref'`,
      );
      assert.equal(rows[0]?.processed, false);
      assert.match(rows[0]?.last_error ?? '', /UNKNOWN_REFERENCE/);
    });
  });
}
