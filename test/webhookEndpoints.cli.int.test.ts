import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import type { DeliveryPage, EndpointChange, ResendResult } from '../src/app/webhookEndpointTypes.js';
import type { WebhookEndpoint } from '../src/app/ports/webhookEndpointStore.js';
import {
  localWebhookEndpointBackend,
  registerWebhookEndpoints,
  serverWebhookEndpointBackend,
  type WebhookEndpointBackend,
} from '../src/cli/commands/webhookEndpoints.js';
import { createContext } from '../src/cli/context.js';
import { CliFailure, exitCodeFor } from '../src/cli/exitCodes.js';
import type { Io } from '../src/cli/output.js';
import { assertDatabaseVerifies, engineKinds, fundedEscrow } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';
import { WebhookReceiver, eventually } from './webhookReceiver.js';

// `escrow webhook-endpoints …` on both of the CLI's ways: this process's service (local) and the server's API
// (server), with the same output, exit codes and audit rows (actor: the CLI's operator). The attempt log is filled
// by running the engine's dispatcher against a real receiver, one round at a time (delivery is tested elsewhere).

const CLI_ACTOR = { id: 'cli:tester', role: 'admin' as const };
const UUID = '[0-9a-f-]{36}';
const SECRET_LINE = /^signing secret: whsec_[A-Za-z0-9+/]+={0,2}$/m;
const WARNING = /^this secret is shown only once and cannot be shown again: store it where the receiver verifies/m;

function buffers(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (t: string) => void (io.stdout += t),
    err: (t: string) => void (io.stderr += t),
  };
  return io;
}

/** A table line's cells (two spaces or more apart). */
const columns = (line: string): string[] => line.trim().split(/ {2,}/);

/** Every cell of a table starts where its heading does. */
function assertAligned(lines: readonly string[]): void {
  const starts = (line: string) => [...line.matchAll(/(?:^|(?<= {2}))\S/g)].map((m) => m.index);
  const heading = starts(lines[0]!);
  for (const line of lines.slice(1)) assert.deepEqual(starts(line), heading, `${lines[0]}\n${line}`);
}

/** `escrow webhook-endpoints …` in process, as runCli runs a program, on `backend`. */
async function cli(backend: WebhookEndpointBackend, args: string[]) {
  const io = buffers();
  const ctx = createContext(io, { DATA_DIR: '/nonexistent/escrow-webhook-endpoints-cli' });
  const program = new Command('escrow')
    .configureOutput({ writeOut: (t) => io.out(t), writeErr: (t) => io.err(t) })
    .exitOverride();
  registerWebhookEndpoints(program, ctx, (_config, run) => run(backend));
  let code: number;
  try {
    await program.parseAsync(['webhook-endpoints', ...args], { from: 'user' });
    code = ctx.exitCode;
  } catch (err) {
    code = exitCodeFor(err, io);
  }
  return { code, stdout: io.stdout, stderr: io.stderr };
}

/** The server way: the API with a token for the CLI's operator; a problem is a CliFailure, as src/cli/server.ts. */
function viaServer(s: TestServer): WebhookEndpointBackend {
  const token = s.token(CLI_ACTOR.id, 'admin');
  return serverWebhookEndpointBackend(async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const res = await s.call(method, path, { token: await token, ...(body === undefined ? {} : { body }) });
    if (res.status >= 400) throw new CliFailure(`${String(res.body.code)}: ${String(res.body.detail)}`);
    return res.body as T;
  });
}

for (const kind of engineKinds()) {
  for (const via of ['local', 'server'] as const) {
    describe(`escrow webhook-endpoints (${kind}, ${via})`, () => {
      let s: TestServer;
      let receiver: WebhookReceiver;
      let backend: WebhookEndpointBackend;
      let endpointId = '';
      before(async () => {
        s = await testServer(kind, { WEBHOOKS_ALLOW_PRIVATE: 'true' });
        receiver = await new WebhookReceiver().start();
        receiver.answer = () => ({ status: 200, body: 'stored' });
        backend =
          via === 'local'
            ? localWebhookEndpointBackend((run) => run(s.engine.webhookEndpoints), CLI_ACTOR)
            : viaServer(s);
      });
      after(async () => {
        await s.engine.webhookDispatcher.drain();
        await receiver.stop();
        try {
          await assertDatabaseVerifies(s.engine);
        } finally {
          await s.close();
        }
      });

      const count = async (table: string) =>
        (await s.testDb.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
      const lastAudit = async () =>
        (
          await s.testDb.db.query<{ actor_id: string; action: string; reason: string }>(
            `SELECT actor_id, action, details ->> 'reason' AS reason FROM audit_logs ORDER BY id DESC LIMIT 1`,
          )
        ).rows[0];

      it('create prints the secret once with its warning (--json too); a dry run stores nothing', async () => {
        const dry = await cli(backend, ['create', '--url', receiver.url, '--reason', 'go-live', '--dry-run']);
        assert.equal(dry.code, 0, dry.stderr);
        assert.match(dry.stdout, new RegExp(`^dry run, nothing changed: would create webhook endpoint ${UUID} `));
        assert.doesNotMatch(dry.stdout, /whsec_/);
        assert.equal(await count('webhook_endpoints'), 0);
        assert.equal(await count('audit_logs'), 0);

        const made = await cli(backend, [
          'create',
          ...['--url', receiver.url, '--description', 'orders', '--events', 'EscrowCreated', '--reason', 'go-live'],
        ]);
        assert.equal(made.code, 0, made.stderr);
        assert.match(
          made.stdout,
          new RegExp(
            `^created webhook endpoint (${UUID}) http://127\\.0\\.0\\.1:\\d+/hooks/escrow \\(events: EscrowCreated; enabled\\)\n`,
          ),
        );
        assert.match(made.stdout, SECRET_LINE);
        assert.match(made.stdout, WARNING);
        endpointId = /endpoint ([0-9a-f-]{36})/.exec(made.stdout)![1]!;
        assert.deepEqual(await lastAudit(), {
          actor_id: CLI_ACTOR.id,
          action: 'WEBHOOK_ENDPOINT_CREATED',
          reason: 'go-live',
        });

        const json = await cli(backend, [
          'create',
          '--url',
          `${receiver.url}/2`,
          '--disabled',
          '--reason',
          'r',
          '--json',
        ]);
        assert.equal(json.code, 0, json.stderr);
        const change = JSON.parse(json.stdout) as EndpointChange;
        assert.match(change.secret ?? '', /^whsec_/);
        assert.equal(change.endpoint.enabled, false);
        assert.equal(change.endpoint.createdBy, CLI_ACTOR.id);
        assert.match(json.stderr, WARNING, 'the warning goes to stderr: stdout stays JSON');
        assert.equal(await count('webhook_endpoints'), 2);
      });

      it('list and show: tables without secret values; bad usage is exit 2, refused input exit 1', async () => {
        const list = await cli(backend, ['list']);
        assert.equal(list.code, 0, list.stderr);
        const lines = list.stdout.split('\n');
        assert.deepEqual(columns(lines[0]!), ['ID', 'STATE', 'EVENTS', 'URL', 'NOTE']);
        assert.deepEqual(columns(lines[1]!), [endpointId, 'ENABLED', 'EscrowCreated', receiver.url, 'orders']);
        assert.deepEqual(columns(lines[2]!).slice(1), [
          'DISABLED',
          'all',
          `${receiver.url}/2`,
          'disabled by cli:tester: r',
        ]);
        assertAligned(lines.slice(0, 3));
        assert.deepEqual(lines.slice(3), ['2 listed', '']);
        const show = await cli(backend, ['show', endpointId]);
        assert.equal(show.code, 0, show.stderr);
        assert.match(show.stdout, /^id {12}[0-9a-f-]{36}\nurl {11}http:/);
        assert.match(show.stdout, /^state {9}enabled$/m);
        assert.match(show.stdout, new RegExp(`^ {2}SECRET {32}CREATED +SIGNS UNTIL\n {2}${UUID}  \\S+  current$`, 'm'));
        const json = await cli(backend, ['list', '--json']);
        assert.equal((JSON.parse(json.stdout) as { data: WebhookEndpoint[] }).data.length, 2);
        for (const out of [list.stdout, show.stdout, json.stdout]) assert.doesNotMatch(out, /whsec_|"secret"/);

        for (const args of [
          ['create', '--url', receiver.url],
          ['create', '--url', receiver.url, '--reason', '  '],
          ['create', '--reason', 'r'],
          ['create', '--url', receiver.url, '--reason', 'r', '--events', ','],
          ['show', 'not-a-uuid'],
          ['update', endpointId, '--reason', 'r'],
          ['update', endpointId, '--enable', '--disable', '--reason', 'r'],
          ['update', 'not-a-uuid', '--enable', '--reason', 'r'],
          ['delete', endpointId],
          ['rotate-secret', endpointId, '--overlap-hours', '169', '--reason', 'r'],
          ['rotate-secret', endpointId, '--overlap-hours', '1.5', '--reason', 'r'],
          ['deliveries', endpointId, '--limit', '201'],
          ['deliveries', endpointId, '--status', 'LOST'],
          ['deliveries', endpointId, '--event', 'nope'],
          ['resend', endpointId, 'not-a-uuid', '--reason', 'r'],
          ['recover', endpointId, '--reason', 'r'],
        ]) {
          const run = await cli(backend, args);
          assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
          assert.equal(run.stdout, '', args.join(' '));
        }
        const refused = await cli(backend, ['create', '--url', 'ftp://127.0.0.1/x', '--reason', 'r']);
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /^WEBHOOK_URL_REFUSED: webhook endpoint URL must use https, not ftp/);
        const unknown = await cli(backend, [
          'create',
          '--url',
          receiver.url,
          '--events',
          'EscrowExploded',
          '--reason',
          'r',
        ]);
        assert.equal(unknown.code, 1);
        assert.match(unknown.stderr, /^VALIDATION_ERROR: .*eventTypes/);
        const missing = await cli(backend, ['show', '0190f0c8-0000-7000-8000-000000000001']);
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /^WEBHOOK_ENDPOINT_NOT_FOUND: no webhook endpoint 0190f0c8-/);
        assert.equal(await count('webhook_endpoints'), 2, 'nothing stored');
      });

      it('deliveries shows each message with its attempts; resend queues one again, then is refused while pending', async () => {
        await fundedEscrow(s.engine);
        const delivered = async () => {
          await s.engine.webhookDispatcher.runOnce();
          await s.engine.webhookDispatcher.drain();
          return receiver.delivered().length > 0;
        };
        await eventually(delivered, 'the EscrowCreated message delivered');
        const run = await cli(backend, ['deliveries', endpointId]);
        assert.equal(run.code, 0, run.stderr);
        const [head, attempts, first, ...rest] = run.stdout.split('\n');
        const eventId = receiver.delivered()[0]!.id;
        assert.match(
          head!,
          new RegExp(`^DELIVERED EscrowCreated event ${eventId} \\(escrow ${UUID} #1\\): 1 attempt, delivered \\S+$`),
        );
        assert.deepEqual(columns(attempts!), ['#', 'AT', 'HTTP', 'LATENCY', 'OUTCOME', 'ERROR / RESPONSE']);
        const cells = columns(first!);
        assert.deepEqual([cells[0], cells[2], cells[4], cells[5]], ['1', '200', 'DELIVERED', 'stored']);
        assert.match(cells[3]!, /^\d+ ms$/);
        assert.ok(attempts!.startsWith('  #') && first!.startsWith('  1'), 'indented under its message');
        assertAligned([attempts!, first!]);
        assert.deepEqual(rest, ['']);
        const none = await cli(backend, ['deliveries', endpointId, '--status', 'FAILED']);
        assert.equal(none.stdout, 'no messages\n');
        const json = await cli(backend, ['deliveries', endpointId, '--event', eventId, '--json']);
        const page = JSON.parse(json.stdout) as DeliveryPage;
        assert.deepEqual([page.data.length, page.data[0]!.attemptLog.length, page.nextCursor], [1, 1, null]);

        const dry = await cli(backend, ['resend', endpointId, eventId, '--reason', 'lost it', '--dry-run']);
        assert.equal(dry.code, 0, dry.stderr);
        assert.match(
          dry.stdout,
          new RegExp(`^dry run, nothing queued: would queue 1 message for endpoint ${endpointId}\n`),
        );
        assert.match(dry.stdout, new RegExp(`\n${eventId}  EscrowCreated  ${UUID}  1 +DELIVERED\n$`));
        const resent = await cli(backend, ['resend', endpointId, eventId, '--reason', 'lost it', '--json']);
        assert.equal(resent.code, 0, resent.stderr);
        const result = JSON.parse(resent.stdout) as ResendResult;
        assert.deepEqual([result.queued, result.dryRun, result.messages[0]?.status], [1, false, 'PENDING']);
        assert.deepEqual(await lastAudit(), {
          actor_id: CLI_ACTOR.id,
          action: 'WEBHOOK_MESSAGE_RESENT',
          reason: 'lost it',
        });
        const again = await cli(backend, ['resend', endpointId, eventId, '--reason', 'again']);
        assert.equal(again.code, 1);
        assert.match(again.stderr, /^WEBHOOK_MESSAGE_PENDING: /);
      });

      it('recover, update, rotate-secret and delete: lines a person reads, dry runs changing nothing', async () => {
        const since = new Date(s.clock.now().getTime() - 3_600_000).toISOString();
        const recover = await cli(backend, [
          'recover',
          endpointId,
          '--since',
          since,
          '--include-delivered',
          '--reason',
          'r',
          '--dry-run',
        ]);
        assert.equal(recover.code, 0, recover.stderr);
        assert.match(
          recover.stdout,
          new RegExp(`^dry run, nothing queued: would queue \\d+ messages? for endpoint ${endpointId}`),
        );
        const badWindow = await cli(backend, ['recover', endpointId, '--since', 'yesterday', '--reason', 'r']);
        assert.equal(badWindow.code, 1);
        assert.match(badWindow.stderr, /^VALIDATION_ERROR: since: must be an ISO 8601 date-time/);

        const audits = await count('audit_logs');
        const dry = await cli(backend, ['update', endpointId, '--disable', '--reason', 'maintenance', '--dry-run']);
        assert.equal(dry.code, 0, dry.stderr);
        assert.match(
          dry.stdout,
          /^dry run, nothing changed: would update to webhook endpoint .*disabled: disabled by cli:tester: maintenance\)\n$/,
        );
        assert.equal(await count('audit_logs'), audits);
        const all = await cli(backend, [
          'update',
          endpointId,
          '--events',
          'all',
          '--enable',
          '--reason',
          'every event',
        ]);
        assert.equal(all.code, 0, all.stderr);
        assert.match(
          all.stdout,
          new RegExp(`^updated webhook endpoint ${endpointId} \\S+ \\(events: all; enabled\\)\n$`),
        );

        const rotated = await cli(backend, [
          'rotate-secret',
          endpointId,
          '--overlap-hours',
          '2',
          '--reason',
          'quarterly',
        ]);
        assert.equal(rotated.code, 0, rotated.stderr);
        // (the overlap is counted by the database's clock, not the test's)
        assert.match(
          rotated.stdout,
          new RegExp(
            `^rotated the secret of webhook endpoint ${endpointId} .*\nthe previous secret signs until \\S+Z\n`,
          ),
        );
        assert.match(rotated.stdout, SECRET_LINE);
        assert.match(rotated.stdout, WARNING);
        const dryRotate = await cli(backend, ['rotate-secret', endpointId, '--reason', 'check', '--dry-run']);
        assert.match(
          dryRotate.stdout,
          /^dry run, nothing changed: would rotate the secret of .*\nthe current secret would sign until \S+\n$/,
        );
        assert.doesNotMatch(dryRotate.stdout, /whsec_/);

        const deleted = await cli(backend, ['delete', endpointId, '--reason', 'moved to the events topic']);
        assert.equal(deleted.code, 0, deleted.stderr);
        assert.match(deleted.stdout, new RegExp(`^deleted webhook endpoint ${endpointId} `));
        assert.deepEqual(await lastAudit(), {
          actor_id: CLI_ACTOR.id,
          action: 'WEBHOOK_ENDPOINT_DELETED',
          reason: 'moved to the events topic',
        });
        const gone = await cli(backend, ['deliveries', endpointId]);
        assert.equal(gone.code, 1);
        assert.match(gone.stderr, /^WEBHOOK_ENDPOINT_NOT_FOUND: /);
      });
    });
  }
}
