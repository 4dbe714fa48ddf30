import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { CommandHandler } from '../src/app/commandHandler.js';
import type { CommandEnvelope } from '../src/app/envelope.js';
import { VersionConflict, type EscrowStore } from '../src/app/ports/index.js';
import { commandLog } from '../src/composition/commandPath.js';
import { loadConfig } from '../src/config/index.js';
import { engineKinds, FakeClock, actors, assertDatabaseVerifies, escrowInput } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';

/**
 * A refused command leaves an audit row (issue 10 §5): who, which command, on which escrow when it exists, the code
 * and message it was answered with, its command id and the request id — and admins read it with include=audit. The
 * accepted path writes no extra row, and a failed audit write never fails the request.
 */

interface AuditRow {
  actorId: string;
  actorRole: string;
  action: string;
  commandId: string | null;
  fromStatus: string | null;
  toStatus: string | null;
  details: { refused?: { code: string; message: string; currentStatus?: string }; correlationId?: string };
}

for (const kind of engineKinds()) {
  describe(`refused commands are audited (${kind})`, () => {
    let s: TestServer;
    let buyer: string;
    let seller: string;
    let stranger: string;
    let admin: string;
    before(async () => {
      s = await testServer(kind);
      [buyer, seller, stranger, admin] = await Promise.all([
        s.token(actors.buyer.id, 'user'),
        s.token(actors.seller.id, 'user'),
        s.token(actors.stranger.id, 'user'),
        s.token(actors.admin.id, 'admin'),
      ]);
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(s.engine);
      } finally {
        await s.close();
      }
    });

    const auditOf = async (id: string): Promise<AuditRow[]> => {
      const res = await s.call<{ audit: AuditRow[] }>('GET', `/api/escrow/${id}?include=audit`, { token: admin });
      assert.equal(res.status, 200, res.text);
      return res.body.audit;
    };

    it('a wrong state, a forbidden actor and a user who is not a party: one row each, on the escrow', async () => {
      const created = await s.call<{ id: string }>('POST', '/api/escrow', { token: buyer, body: escrowInput() });
      assert.equal(created.status, 201, created.text);
      const id = created.body.id;
      assert.equal((await auditOf(id)).length, 1, 'the accepted create: its own row, nothing more');

      const early = await s.call('POST', `/api/escrow/${id}/mark-delivered`, {
        token: seller,
        body: { title: 'Too early' },
        headers: { 'idempotency-key': randomUUID() },
      });
      assert.equal(early.status, 409, early.text);
      const forbidden = await s.call('POST', `/api/escrow/${id}/release`, { token: buyer, body: {} });
      assert.equal(forbidden.status, 403, forbidden.text);
      const hidden = await s.call('POST', `/api/escrow/${id}/cancel`, { token: stranger, body: {} });
      assert.equal(hidden.status, 404, hidden.text);

      const rows = await auditOf(id);
      assert.equal(rows.length, 4, JSON.stringify(rows));
      const [wrongState, notAllowed, notAParty] = rows.slice(1);
      assert.deepEqual(
        rows.slice(1).map((r) => [r.action, r.actorId, r.actorRole, r.fromStatus, r.toStatus, r.details.refused?.code]),
        [
          ['MarkDelivered', actors.seller.id, 'user', 'AWAIT_FUNDS', null, 'INVALID_STATE_TRANSITION'],
          ['ReleaseEscrow', actors.buyer.id, 'user', 'AWAIT_FUNDS', null, 'FORBIDDEN'],
          ['CancelEscrow', actors.stranger.id, 'user', 'AWAIT_FUNDS', null, 'ESCROW_NOT_FOUND'],
        ],
      );
      assert.equal(wrongState!.details.refused?.message, (early.body as { detail: string }).detail);
      assert.equal(wrongState!.details.refused?.currentStatus, 'AWAIT_FUNDS');
      assert.equal(notAllowed!.details.refused?.message, (forbidden.body as { detail: string }).detail);
      // the request id the caller was given is the row's correlation id
      assert.equal(notAParty!.details.correlationId, hidden.headers.get('x-request-id'));
      assert.match(wrongState!.commandId ?? '', /^[0-9a-f-]{36}$/);
    });

    it('a refused create and an unknown escrow: a row without an escrow, naming the one asked for', async () => {
      const unknown = randomUUID();
      const res = await s.call('POST', `/api/escrow/${unknown}/cancel`, { token: admin, body: {} });
      assert.equal(res.status, 404, res.text);
      const create = await s.call('POST', '/api/escrow', {
        token: buyer,
        body: escrowInput({ currency: 'XYZ' }),
      });
      assert.equal(create.status, 422, create.text);
      const { rows } = await s.testDb.db.query<{
        action: string;
        escrow_id: string | null;
        details: AuditRow['details'] & { escrowId: string };
      }>(
        `SELECT action, escrow_id, details FROM audit_logs WHERE details ? 'refused' AND escrow_id IS NULL ORDER BY id`,
      );
      assert.deepEqual(
        rows.map((r) => [r.action, r.escrow_id, r.details.refused?.code]),
        [
          ['CancelEscrow', null, 'ESCROW_NOT_FOUND'],
          ['CreateEscrow', null, (create.body as { code: string }).code],
        ],
      );
      assert.equal(rows[0]!.details.escrowId, unknown);
    });

    it('refusals made before the command path (an id that is no UUID, a rail not enabled): audited alike', async () => {
      const count = async () =>
        (
          await s.testDb.db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM audit_logs WHERE details ? 'refused' AND escrow_id IS NULL`,
          )
        ).rows[0]!.n;
      const before = await count();
      const unknown = s.engine.service.execute('CancelEscrow', 'not-a-uuid', actors.admin, { reason: 'x' });
      await assert.rejects(unknown, { code: 'ESCROW_NOT_FOUND' });
      const offRail = s.engine.service.create(actors.buyer, { ...escrowInput(), rail: 'STRIPE' } as never);
      const refusal = await offRail.then(
        () => assert.fail('a create on a rail that is not enabled is refused'),
        (err: { code: string }) => err,
      );
      const { rows } = await s.testDb.db.query<{
        action: string;
        details: { refused: { code: string }; escrowId: string };
      }>(`SELECT action, details FROM audit_logs WHERE details ? 'refused' AND escrow_id IS NULL ORDER BY id`);
      assert.equal((await count()) - before, 2, 'one row per refusal');
      assert.deepEqual(
        rows.slice(-2).map((r) => [r.action, r.details.refused.code]),
        [
          ['CancelEscrow', 'ESCROW_NOT_FOUND'],
          ['CreateEscrow', refusal.code],
        ],
      );
      assert.equal(rows.at(-2)!.details.escrowId, 'not-a-uuid');
    });

    it('an escrow with ten or more audit rows lists them in the order they were written (by number, not as text)', async () => {
      const created = await s.call<{ id: string }>('POST', '/api/escrow', { token: buyer, body: escrowInput() });
      for (let i = 0; i < 10; i++) {
        const res = await s.call('POST', `/api/escrow/${created.body.id}/release`, { token: buyer, body: {} });
        assert.equal(res.status, 403, res.text);
      }
      const ids = (await auditOf(created.body.id)).map((a) => Number((a as unknown as { id: string }).id));
      assert.ok(ids.length >= 11, `${ids.length} rows`);
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
      );
    });

    it('a version conflict past its retries: VERSION_CONFLICT on the escrow', async () => {
      const created = await s.call<{ id: string }>('POST', '/api/escrow', { token: buyer, body: escrowInput() });
      const real = s.engine.stores.escrows;
      const handler = new CommandHandler({
        store: {
          load: (escrowId, commandId) => real.load(escrowId, commandId),
          commit: () => Promise.reject(new VersionConflict('someone else moved it')),
          recordRejection: (e, r, at) => real.recordRejection(e, r, at),
        },
        clock: s.clock,
        policy: s.engine.config.policy,
        maxAttempts: 3,
        audit: s.engine.stores.audit,
      });
      const envelope = s.engine.service.envelope('CancelEscrow', created.body.id, actors.buyer, {});
      await assert.rejects(handler.handle(envelope), { code: 'VERSION_CONFLICT' });
      const last = (await auditOf(created.body.id)).at(-1);
      assert.deepEqual(
        [last?.action, last?.commandId, last?.fromStatus, last?.details.refused?.code],
        ['CancelEscrow', envelope.commandId, 'AWAIT_FUNDS', 'VERSION_CONFLICT'],
      );
    });
  });
}

describe('a failed audit write', () => {
  it('answers the refusal all the same, and says so in the log', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    const missingEscrow: EscrowStore = {
      load: () => Promise.resolve({ escrow: null, prior: null }),
      commit: () => Promise.reject(new Error('no commit expected')),
      recordRejection: () => Promise.resolve(),
    };
    const handler = new CommandHandler({
      store: missingEscrow,
      clock: new FakeClock(),
      policy: loadConfig({}).policy,
      audit: { recordRefusal: () => Promise.reject(new Error('disk full')) },
    });
    handler.observe(commandLog(logger));
    const envelope: CommandEnvelope = {
      commandId: randomUUID(),
      type: 'CancelEscrow',
      escrowId: randomUUID(),
      actor: actors.buyer,
      issuedAt: new Date().toISOString(),
      correlationId: 'req-1',
      causationId: null,
      payload: {},
    };
    await assert.rejects(handler.handle(envelope), { code: 'ESCROW_NOT_FOUND' });
    const line = lines.find((l) => l.includes('refused command not audited'));
    assert.ok(line, lines.join('\n'));
    assert.match(line, /"level":50/);
    assert.match(line, /disk full/);
  });
});
