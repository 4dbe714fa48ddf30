import type { FastifyRequest } from 'fastify';
import { VaultSecretMissingError } from '../../app/ports/index.js';
import { VaultRevealNotDelivered } from '../../app/vault.js';
import type { Actor, FileRef } from '../../domain/index.js';
import { hashBodyAs } from '../idempotency.js';
import { HttpError } from '../problem.js';
import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';
import {
  DefineMilestonesBody,
  DeliverMilestoneBody,
  DisputeEvidenceBody,
  ReleaseMilestoneBody,
} from '../schemas/escrowBodies.js';
import { MilestoneParams } from '../schemas/requests.js';
import { RevealedVault, VaultBody } from '../schemas/vault.js';
import { commonErrors, type EscrowRouteKit } from './escrowRouteKit.js';

// Milestones, dispute evidence and the credential vault (issue 12): commands on an existing escrow.

const tags = ['escrows'];
const EscrowResponse = { 200: S.EscrowView, 202: S.CommandAccepted, ...commonErrors };

type Params = { id: string; milestoneId?: string; disputeId?: string };
type Req = FastifyRequest<{ Params: Params; Body: Record<string, unknown> }>;

/** `fileIds` of a body as the escrow's stored files, with the SHA-256 the event records; none: no key. */
export async function filesOf(
  deps: RouteDeps['deps'],
  actor: Actor,
  escrowId: string,
  body: { fileIds?: unknown },
): Promise<{ files?: FileRef[] }> {
  const ids = body.fileIds;
  if (!Array.isArray(ids) || ids.length === 0) return {};
  return { files: await deps.files.resolve(actor, escrowId, ids as string[]) };
}

/** The body without `fileIds` (the command carries the resolved files instead). */
const withoutFileIds = (body: Record<string, unknown>) => {
  const { fileIds: _ids, ...rest } = body;
  return rest;
};

export function marketplaceRoutes(app: Api, ctx: RouteDeps, kit: EscrowRouteKit): void {
  const { commands } = ctx.deps;
  const { authed, actorOf, submit } = kit;
  const post = (
    path: string,
    summary: string,
    body: unknown,
    params: unknown,
    run: (r: Req, a: Actor, o: Parameters<typeof commands.execute>[4]) => ReturnType<typeof commands.execute>,
  ) =>
    app.post(
      path,
      {
        onRequest: authed,
        schema: { tags, summary, params, body, headers: S.IdempotencyHeaders, response: EscrowResponse } as never,
      },
      (request, reply) => submit(request, reply, 200, (opts) => run(request as Req, actorOf(request), opts)),
    );

  post(
    '/escrow/:id/milestones',
    'Define the milestones while awaiting funds (buyer, service, admin: not the seller; they replace earlier ones)',
    DefineMilestonesBody,
    S.EscrowParams,
    (r, a, o) => commands.execute('DefineMilestones', r.params.id, a, r.body as never, o),
  );
  post(
    '/escrow/:id/milestones/:milestoneId/deliver',
    'Mark one milestone delivered (seller, admin): its confirmation window starts',
    DeliverMilestoneBody,
    MilestoneParams,
    async (r, a, o) =>
      commands.execute(
        'DeliverMilestone',
        r.params.id,
        a,
        {
          ...(withoutFileIds(r.body) as { title: string }),
          ...(await filesOf(ctx.deps, a, r.params.id, r.body)),
          milestoneId: r.params.milestoneId!,
        },
        o,
      ),
  );
  post(
    '/escrow/:id/milestones/:milestoneId/release',
    'Release one milestone: its share less its seller fee to the seller (buyer, admin)',
    ReleaseMilestoneBody,
    MilestoneParams,
    (r, a, o) =>
      commands.execute(
        'ReleaseMilestone',
        r.params.id,
        a,
        { ...(r.body as object), milestoneId: r.params.milestoneId! },
        o,
      ),
  );
  post(
    '/escrow/:id/dispute/:disputeId/evidence',
    "Add a statement, evidence or files to an open dispute (buyer, seller: typically the other side's answer)",
    DisputeEvidenceBody,
    S.DisputeParams,
    async (r, a, o) =>
      commands.execute(
        'AddDisputeEvidence',
        r.params.id,
        a,
        {
          ...withoutFileIds(r.body),
          ...(await filesOf(ctx.deps, a, r.params.id, r.body)),
          disputeId: r.params.disputeId!,
        },
        o,
      ),
  );

  vaultRoutes(app, ctx, kit);
}

/** The vault's answers besides the escrow routes' own: 503 when it is off or a retry is due. */
const vaultErrors = { ...commonErrors, ...S.problems(503) };

/** Answers that are no decision, so never stored for an Idempotency-Key: a retry of the same request is due. */
const retryLater = (code: string, message: string) => new HttpError(503, code, message, { 'retry-after': '1' });

/** The seller seals the deliverable (answered with the escrow, never the secret); the buyer reveals it. */
function vaultRoutes(app: Api, ctx: RouteDeps, kit: EscrowRouteKit): void {
  const { authed, actorOf, submit } = kit;
  app.put(
    '/escrow/:id/vault',
    {
      onRequest: authed,
      schema: {
        tags,
        summary: 'Seal the secret deliverable into the vault (seller; until the buyer first reveals it)',
        params: S.EscrowParams,
        headers: S.IdempotencyHeaders,
        body: VaultBody,
        response: { 200: S.EscrowView, 202: S.CommandAccepted, ...vaultErrors },
      },
    },
    (request, reply) => {
      // the stored request hash covers a keyed digest of the secret, never the secret (docs/vault.md)
      hashBodyAs(request, { ...request.body, secret: ctx.deps.vault.requestDigest(request.body.secret) });
      return submit(request, reply, 200, async (opts) => {
        const a = actorOf(request);
        const { fileId, ...body } = request.body;
        const file = fileId ? (await ctx.deps.files.resolve(a, request.params.id, [fileId]))[0] : undefined;
        try {
          return await ctx.deps.vault.set(a, request.params.id, { ...body, ...(file ? { file } : {}) }, opts);
        } catch (err) {
          if (!(err instanceof VaultSecretMissingError)) throw err;
          throw retryLater('VAULT_BUSY', `${err.message}; nothing was changed, retry the request`);
        }
      });
    },
  );
  revealRoute(app, ctx, kit);
}

/**
 * The buyer's reveal. Its answer carries the secret, so it is never stored for replay (an Idempotency-Key still makes
 * a retry the same command: one reveal event, and a VaultRevealReplayed audit row for the replay) and is sent with
 * Cache-Control: no-store. A reveal accepted whose secret could not be read is a 503: a retry delivers it.
 */
function revealRoute(app: Api, ctx: RouteDeps, { authed, actorOf, keyed }: EscrowRouteKit): void {
  app.post(
    '/escrow/:id/vault/reveal',
    {
      onRequest: authed,
      schema: {
        tags,
        summary: 'Reveal the vault (buyer only, from FUNDS_HELD on; every reveal is an audited event)',
        params: S.EscrowParams,
        headers: S.IdempotencyHeaders,
        body: S.EmptyBody,
        response: { 200: RevealedVault, 202: S.CommandAccepted, ...vaultErrors },
      },
    },
    async (request, reply) => {
      const { key: _key, ...opts } = keyed(request);
      const revealed = await ctx.deps.vault
        .reveal(actorOf(request), request.params.id, { ...opts, recordRejection: false })
        .catch((err: unknown) => {
          if (!(err instanceof VaultRevealNotDelivered)) throw err;
          request.log.error({ err: err.cause, command_id: err.commandId }, 'vault reveal: secret not delivered');
          throw retryLater('VAULT_REVEAL_NOT_DELIVERED', `${err.message} (the same Idempotency-Key replays it)`);
        });
      const { handled, escrow, vault, secret } = revealed;
      reply.header('cache-control', 'no-store');
      if (handled.duplicate) reply.header('idempotent-replayed', 'true');
      return {
        escrowId: escrow.id,
        kind: vault.kind,
        secret,
        file: vault.file,
        fingerprint: vault.fingerprint,
        revealCount: vault.revealCount,
        firstRevealedAt: vault.firstRevealedAt!,
        revealedAt: escrow.updatedAt,
      };
    },
  );
}
