import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { DeliveryPage, EndpointChange, ResendResult } from '../src/app/webhookEndpointTypes.js';
import type { WebhookEndpoint } from '../src/app/ports/webhookEndpointStore.js';
import { assertDatabaseVerifies, engineKinds, fundedEscrow } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';

// /api/webhook-endpoints and its actions (issue 14 §1, §3) on the full API app: `service` and `admin` callers only,
// the secret in the create and rotate answers only, dry runs that change nothing, problem+json naming the field for
// bad ids, bodies and queries. Delivery itself is tested in webhooks.*.e2e; here the log is filled by `recover`.
// WEBHOOKS_ALLOW_PRIVATE: endpoints on 127.0.0.1 (nothing is sent: the server runs the api role only).

const PROBLEM = /^application\/problem\+json/;
const URL_A = 'http://127.0.0.1:9/hooks/a';
const TABLES = ['webhook_endpoints', 'webhook_endpoint_secrets', 'webhook_messages', 'webhook_attempts', 'audit_logs'];

for (const kind of engineKinds()) {
  describe(`webhook endpoint routes (${kind})`, () => {
    let s: TestServer;
    let admin: string;
    let service: string;
    before(async () => {
      s = await testServer(kind, { WEBHOOKS_ALLOW_PRIVATE: 'true' });
      admin = await s.token('ops-alice', 'admin');
      service = await s.token('marketplace-api', 'service');
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(s.engine);
      } finally {
        await s.close();
      }
    });

    const counts = async () => {
      const out: Record<string, number> = {};
      for (const t of TABLES) {
        out[t] = (await s.testDb.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`)).rows[0]!.n;
      }
      return out;
    };
    const audits = async () =>
      (
        await s.testDb.db.query<{ actor_id: string; action: string; details: Record<string, unknown> }>(
          `SELECT actor_id, action, details FROM audit_logs WHERE action LIKE 'WEBHOOK%' ORDER BY id`,
        )
      ).rows;
    const create = async (body: Record<string, unknown>, token = service) => {
      const res = await s.call<EndpointChange>('POST', '/api/webhook-endpoints', { token, body });
      assert.equal(res.status, 201, res.text);
      return res.body;
    };

    it('create: 201 with a whsec_ secret shown once; list and show never carry it; audited without it', async () => {
      const made = await create({ url: URL_A, description: 'orders', eventTypes: ['EscrowFundsHeld'], reason: 'go' });
      assert.match(made.secret ?? '', /^whsec_[A-Za-z0-9+/]+={0,2}$/);
      assert.ok(Buffer.from(made.secret!.slice(6), 'base64').length >= 24, 'at least 24 random bytes');
      assert.equal(made.dryRun, false);
      const e = made.endpoint;
      assert.deepEqual(
        [e.url, e.description, e.eventTypes, e.enabled, e.createdBy, e.secrets.length],
        [URL_A, 'orders', ['EscrowFundsHeld'], true, 'marketplace-api', 1],
      );
      assert.equal(e.secrets[0]!.expiresAt, null);

      const list = await s.call<{ data: WebhookEndpoint[] }>('GET', '/api/webhook-endpoints', { token: admin });
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(list.body.data, [e]);
      const one = await s.call<WebhookEndpoint>('GET', `/api/webhook-endpoints/${e.id}`, { token: service });
      assert.equal(one.status, 200, one.text);
      assert.deepEqual(one.body, e);
      for (const text of [list.text, one.text]) {
        assert.ok(!text.includes(made.secret!), 'the value is never listed');
        assert.doesNotMatch(text, /whsec_|"secret"/);
      }
      const rows = await audits();
      assert.deepEqual(
        rows.map((r) => [r.actor_id, r.action, r.details.endpointId, r.details.reason]),
        [['marketplace-api', 'WEBHOOK_ENDPOINT_CREATED', e.id, 'go']],
      );
      assert.ok(!JSON.stringify(rows).includes(made.secret!), 'the audit log never holds the secret');
    });

    it('update, rotate-secret and delete: secrets only from rotate; dry runs answer 200 and change nothing', async () => {
      const { endpoint } = await create({ url: 'http://127.0.0.1:9/hooks/b', reason: 'second' });
      const at = (action = '') => `/api/webhook-endpoints/${endpoint.id}${action}`;
      const before = await counts();
      const dryCreate = await s.call<EndpointChange>('POST', '/api/webhook-endpoints', {
        token: admin,
        body: { url: 'http://127.0.0.1:9/hooks/dry', dryRun: true },
      });
      assert.equal(dryCreate.status, 200, dryCreate.text);
      assert.equal(dryCreate.body.dryRun, true);
      assert.equal(dryCreate.body.secret, undefined, 'a dry run makes no secret');
      for (const [action, body] of [
        ['/update', { enabled: false, reason: 'maintenance', dryRun: true }],
        ['/rotate-secret', { overlapHours: 0, dryRun: true }],
        ['/delete', { reason: 'gone', dryRun: true }],
        ['/recover', { since: new Date(s.clock.now().getTime() - 3_600_000).toISOString(), dryRun: true }],
      ] as const) {
        const res = await s.call<{ dryRun: boolean; secret?: string }>('POST', at(action), { token: admin, body });
        assert.equal(res.status, 200, `${action}: ${res.text}`);
        assert.equal(res.body.dryRun, true, action);
        assert.equal(res.body.secret, undefined, action);
      }
      assert.deepEqual(await counts(), before, 'nothing stored, not even an audit row');
      assert.deepEqual((await s.call('GET', at(), { token: admin })).body, endpoint);

      const disabled = await s.call<EndpointChange>('POST', at('/update'), {
        token: admin,
        body: { enabled: false, reason: 'maintenance' },
      });
      assert.equal(disabled.status, 200, disabled.text);
      assert.equal(disabled.body.endpoint.enabled, false);
      assert.equal(disabled.body.endpoint.disabledReason, 'disabled by ops-alice: maintenance');
      assert.doesNotMatch(disabled.text, /whsec_|"secret"/);

      const rotated = await s.call<EndpointChange>('POST', at('/rotate-secret'), {
        token: service,
        body: { overlapHours: 24, reason: 'quarterly' },
      });
      assert.equal(rotated.status, 200, rotated.text);
      assert.match(rotated.body.secret ?? '', /^whsec_/);
      assert.equal(rotated.body.endpoint.secrets.length, 2, 'the previous one signs for the overlap');
      assert.equal(rotated.body.endpoint.secrets.filter((x) => x.expiresAt === null).length, 1);
      const shown = await s.call('GET', at(), { token: admin });
      assert.ok(!shown.text.includes(rotated.body.secret!));

      const deleted = await s.call<EndpointChange>('POST', at('/delete'), { token: admin, body: { reason: 'gone' } });
      assert.equal(deleted.status, 200, deleted.text);
      assert.equal(deleted.body.endpoint.id, endpoint.id);
      assert.doesNotMatch(deleted.text, /whsec_|"secret"/);
      const missing = await s.call('GET', at(), { token: admin });
      assert.equal(missing.status, 404, missing.text);
      assert.equal(missing.body.code, 'WEBHOOK_ENDPOINT_NOT_FOUND');
      assert.deepEqual(
        (await audits()).slice(-3).map((r) => [r.actor_id, r.action]),
        [
          ['ops-alice', 'WEBHOOK_ENDPOINT_DISABLED'],
          ['marketplace-api', 'WEBHOOK_SECRET_ROTATED'],
          ['ops-alice', 'WEBHOOK_ENDPOINT_DELETED'],
        ],
      );
    });

    it('deliveries, recover and resend: the log with filters and pages; a pending message is 409', async () => {
      const { endpoint } = await create({ url: 'http://127.0.0.1:9/hooks/c', eventTypes: ['EscrowCreated'] });
      const at = (action: string) => `/api/webhook-endpoints/${endpoint.id}${action}`;
      const empty = await s.call<DeliveryPage>('GET', at('/deliveries'), { token: service });
      assert.equal(empty.status, 200, empty.text);
      assert.deepEqual(empty.body, { data: [], nextCursor: null });

      const since = s.clock.now().toISOString();
      const escrows = [await fundedEscrow(s.engine), await fundedEscrow(s.engine)];
      s.clock.advance(1000);
      const recovered = await s.call<ResendResult>('POST', at('/recover'), {
        token: admin,
        body: { since, reason: 'never sent' },
      });
      assert.equal(recovered.status, 200, recovered.text);
      assert.equal(recovered.body.queued, 2, 'the two EscrowCreated events the endpoint never got');
      assert.deepEqual(recovered.body.messages.map((m) => m.escrowId).sort(), [...escrows].sort());

      const page = await s.call<DeliveryPage>('GET', at('/deliveries?limit=1'), { token: service });
      assert.equal(page.status, 200, page.text);
      assert.equal(page.body.data.length, 1);
      const first = page.body.data[0]!;
      assert.deepEqual([first.eventType, first.status, first.attemptLog], ['EscrowCreated', 'PENDING', []]);
      assert.ok(page.body.nextCursor);
      const next = await s.call<DeliveryPage>('GET', at(`/deliveries?limit=1&cursor=${page.body.nextCursor}`), {
        token: service,
      });
      assert.equal(next.body.data.length, 1);
      assert.notEqual(next.body.data[0]!.eventId, first.eventId);
      assert.equal(next.body.nextCursor, null);
      const byEvent = await s.call<DeliveryPage>('GET', at(`/deliveries?eventId=${first.eventId}&status=PENDING`), {
        token: admin,
      });
      assert.deepEqual(
        byEvent.body.data.map((m) => m.eventId),
        [first.eventId],
      );
      const delivered = await s.call<DeliveryPage>('GET', at('/deliveries?status=DELIVERED'), { token: admin });
      assert.deepEqual(delivered.body.data, []);

      const pending = await s.call('POST', at(`/deliveries/${first.eventId}/resend`), { token: admin, body: {} });
      assert.equal(pending.status, 409, pending.text);
      assert.equal(pending.body.code, 'WEBHOOK_MESSAGE_PENDING');
      const none = await s.call('POST', at(`/deliveries/${randomUUID()}/resend`), { token: admin, body: {} });
      assert.equal(none.status, 404, none.text);
      assert.equal(none.body.code, 'WEBHOOK_MESSAGE_NOT_FOUND');
    });

    it('bad ids, bodies and queries are 400 naming the field; unknown endpoints 404; refused URLs 422', async () => {
      const { endpoint } = await create({ url: 'http://127.0.0.1:9/hooks/d' });
      const before = await counts();
      const ok = `/api/webhook-endpoints/${endpoint.id}`;
      const cases: [string, string, unknown, string][] = [
        ['GET', '/api/webhook-endpoints/not-a-uuid', undefined, 'endpointId'],
        ['POST', '/api/webhook-endpoints/not-a-uuid/update', { enabled: true }, 'endpointId'],
        ['POST', '/api/webhook-endpoints/not-a-uuid/delete', {}, 'endpointId'],
        ['POST', '/api/webhook-endpoints/not-a-uuid/rotate-secret', {}, 'endpointId'],
        ['GET', '/api/webhook-endpoints/not-a-uuid/deliveries', undefined, 'endpointId'],
        ['POST', `${ok}/deliveries/not-a-uuid/resend`, {}, 'eventId'],
        ['POST', '/api/webhook-endpoints/not-a-uuid/recover', { since: '2026-12-01T00:00:00Z' }, 'endpointId'],
        ['POST', '/api/webhook-endpoints', {}, 'url'],
        ['POST', '/api/webhook-endpoints', { url: URL_A, eventTypes: ['EscrowExploded'] }, 'eventTypes.0'],
        ['POST', '/api/webhook-endpoints', { url: URL_A, eventTypes: [] }, 'eventTypes'],
        ['POST', '/api/webhook-endpoints', { url: URL_A, dryRun: 'yes' }, 'dryRun'],
        ['POST', '/api/webhook-endpoints', { url: URL_A, secret: 'whsec_mine' }, 'secret'],
        ['POST', '/api/webhook-endpoints', { url: URL_A, reason: '' }, 'reason'],
        ['POST', `${ok}/update`, { reason: 'nothing to change' }, 'body'],
        ['POST', `${ok}/update`, { enabled: 'no' }, 'enabled'],
        ['POST', `${ok}/rotate-secret`, { overlapHours: 169 }, 'overlapHours'],
        ['POST', `${ok}/rotate-secret`, { overlapHours: 1.5 }, 'overlapHours'],
        ['POST', `${ok}/recover`, {}, 'since'],
        ['POST', `${ok}/recover`, { since: 'yesterday' }, 'since'],
        ['POST', `${ok}/recover`, { since: '2026-12-01T00:00:00Z', until: '2026-11-01T00:00:00Z' }, 'until'],
        ['GET', `${ok}/deliveries?status=LOST`, undefined, 'status'],
        ['GET', `${ok}/deliveries?limit=0`, undefined, 'limit'],
        ['GET', `${ok}/deliveries?limit=201`, undefined, 'limit'],
        ['GET', `${ok}/deliveries?limit=x`, undefined, 'limit'],
        ['GET', `${ok}/deliveries?cursor=abc`, undefined, 'cursor'],
        ['GET', `${ok}/deliveries?eventId=nope`, undefined, 'eventId'],
        ['GET', `${ok}/deliveries?other=1`, undefined, 'other'],
      ];
      for (const [method, path, body, field] of cases) {
        const res = await s.call<{ code: string; errors?: { field: string }[] }>(method, path, {
          token: admin,
          ...(body === undefined ? {} : { body }),
        });
        const what = `${method} ${path} ${JSON.stringify(body)}`;
        assert.equal(res.status, 400, `${what}: ${res.text}`);
        assert.match(res.headers.get('content-type') ?? '', PROBLEM, what);
        assert.equal(res.body.code, 'VALIDATION_ERROR', what);
        assert.ok(
          res.body.errors?.some((e) => e.field === field),
          `${what} names ${field}: ${res.text}`,
        );
      }
      const unknown = `/api/webhook-endpoints/${randomUUID()}`;
      for (const [method, path, body] of [
        ['GET', unknown, undefined],
        ['POST', `${unknown}/update`, { enabled: true }],
        ['POST', `${unknown}/delete`, {}],
        ['POST', `${unknown}/rotate-secret`, {}],
        ['GET', `${unknown}/deliveries`, undefined],
        ['POST', `${unknown}/deliveries/${randomUUID()}/resend`, {}],
        ['POST', `${unknown}/recover`, { since: '2026-12-01T00:00:00Z' }],
      ] as const) {
        const res = await s.call(method, path, { token: admin, ...(body === undefined ? {} : { body }) });
        assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
        assert.equal(res.body.code, 'WEBHOOK_ENDPOINT_NOT_FOUND');
      }
      for (const url of ['ftp://127.0.0.1/hooks', 'http://user:pw@127.0.0.1/hooks']) {
        const res = await s.call('POST', '/api/webhook-endpoints', { token: admin, body: { url } });
        assert.equal(res.status, 422, `${url}: ${res.text}`);
        assert.equal(res.body.code, 'WEBHOOK_URL_REFUSED');
        assert.match(res.headers.get('content-type') ?? '', PROBLEM);
      }
      assert.deepEqual(await counts(), before, 'nothing stored');
    });

    it('service and admin callers only: 401 without a token, 403 for a buyer or seller (user) token', async () => {
      const { endpoint } = await create({ url: 'http://127.0.0.1:9/hooks/e' }, admin);
      const before = await counts();
      const at = `/api/webhook-endpoints/${endpoint.id}`;
      const routes: [string, string, unknown][] = [
        ['GET', '/api/webhook-endpoints', undefined],
        ['POST', '/api/webhook-endpoints', { url: 'http://127.0.0.1:9/hooks/x' }],
        ['GET', at, undefined],
        ['POST', `${at}/update`, { enabled: false }],
        ['POST', `${at}/delete`, {}],
        ['POST', `${at}/rotate-secret`, {}],
        ['GET', `${at}/deliveries`, undefined],
        ['POST', `${at}/deliveries/${randomUUID()}/resend`, {}],
        ['POST', `${at}/recover`, { since: '2026-12-01T00:00:00Z' }],
      ];
      const buyer = await s.token('buyer-1', 'user');
      for (const [method, path, body] of routes) {
        const withBody = body === undefined ? {} : { body };
        const anonymous = await s.call(method, path, withBody);
        assert.equal(anonymous.status, 401, `${method} ${path}`);
        const user = await s.call(method, path, { token: buyer, ...withBody });
        assert.equal(user.status, 403, `${method} ${path}: ${user.text}`);
        assert.match(user.headers.get('content-type') ?? '', PROBLEM);
      }
      assert.deepEqual(await counts(), before, 'nothing stored');
      assert.equal((await s.call('GET', at, { token: service })).status, 200);
      assert.equal((await s.call('GET', at, { token: admin })).status, 200);
    });

    it('every route is in the OpenAPI document, tagged webhooks, with a summary and a description', async () => {
      const doc = await s.call<{ paths: Record<string, Record<string, { tags?: string[]; summary?: string }>> }>(
        'GET',
        '/openapi.json',
      );
      const want = [
        ['get', '/api/webhook-endpoints'],
        ['post', '/api/webhook-endpoints'],
        ['get', '/api/webhook-endpoints/{endpointId}'],
        ['post', '/api/webhook-endpoints/{endpointId}/update'],
        ['post', '/api/webhook-endpoints/{endpointId}/delete'],
        ['post', '/api/webhook-endpoints/{endpointId}/rotate-secret'],
        ['get', '/api/webhook-endpoints/{endpointId}/deliveries'],
        ['post', '/api/webhook-endpoints/{endpointId}/deliveries/{eventId}/resend'],
        ['post', '/api/webhook-endpoints/{endpointId}/recover'],
      ];
      for (const [method, path] of want) {
        const op = doc.body.paths[path!]?.[method!] as { tags?: string[]; summary?: string; description?: string };
        assert.ok(op, `${method} ${path} documented`);
        assert.deepEqual(op.tags, ['webhooks']);
        assert.ok(op.summary && op.description, `${method} ${path}: summary and description`);
      }
      const documented = Object.keys(doc.body.paths).filter((p) => p.startsWith('/api/webhook-endpoints'));
      assert.equal(documented.length, 8, documented.join(', '));
    });
  });
}
