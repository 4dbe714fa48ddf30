import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { derivedId } from '../app/ids.js';
import type { SubmitOptions } from '../app/escrowService.js';
import { canonical } from '../app/verify.js';
import { HttpError } from './problem.js';

import type { Liveness } from '../app/ports/heartbeatStore.js';
import type { Claim, IdempotencyStore, StoredResponse } from '../app/ports/index.js';

export interface IdempotencySettings {
  store: IdempotencyStore;
  ttlMs: number;
  /** How long an in-flight request of a live process holds its key before a retry may take it over. */
  lockMs: number;
  /**
   * This process's instance id (kept with its locks) and whether another process still beats: a key in flight for a
   * process whose heartbeat stopped is taken over at once instead of after `lockMs`.
   */
  liveness?: Liveness;
}

/** The command id of a keyed request: one per (caller, key), so a key can apply at most once. */
export const keyedCommandId = (principalId: string, key: string): string =>
  derivedId(`idempotency:${principalId}:${key}`);

/** What makes two requests "the same request" for one key: method, route, parameters and body. */
export const requestHash = (method: string, route: string, params: unknown, body: unknown): string =>
  createHash('sha256')
    .update(`${method} ${route} ${canonical(params)} ${canonical(body ?? {})}`)
    .digest('hex');

/** Per request, what its hash covers instead of its body (hashBodyAs). */
const hashedBodies = new WeakMap<FastifyRequest, unknown>();

/**
 * For a route whose body holds a secret: the request hash covers `body` instead of the request's own (e.g. the
 * secret replaced by a keyed digest of it). The hash is stored with the key and with the command; an unkeyed hash of
 * a low-entropy secret could be brute-forced back to it. Call before the route's keyed options are taken.
 */
export function hashBodyAs(request: FastifyRequest, body: unknown): void {
  hashedBodies.set(request, body);
}

export type KeyedOptions = SubmitOptions & { key: string | null };

/** A refusal as an answer; `replayed` when it is the command's recorded outcome rather than a new decision. */
export type Rejection = StoredResponse & { replayed?: boolean };

/** What a keyed route answers: sent as is, and stored as is for replays. */
export interface Answer extends StoredResponse {
  replayed: boolean;
}

/**
 * Idempotency-Key (SPEC §5) in two layers:
 *
 * 1. **Exactly once, forever** — the key becomes the command id (per caller), so the command path records it in the
 *    command's own transaction: a key applies at most once whatever happens to the response store, and the request's
 *    hash travels with the command, so the same key with another request is refused (422) even after the TTL.
 * 2. **The stored response, for the TTL** — the first answer (success, or a domain rejection such as 409) is stored
 *    in PostgreSQL or Redis and replayed byte for byte with `Idempotent-Replayed: true`; a request whose key another
 *    replica is still processing gets 409 IDEMPOTENCY_KEY_IN_FLIGHT. Requests in this process with a key in flight
 *    wait for it and share its answer. After the TTL the stored response is gone: a committed command still replays
 *    (its answer rebuilt from the events), a rejected one is decided again.
 */
export class IdempotencyGate {
  private readonly inFlight = new Map<string, { hash: string | undefined; promise: Promise<Answer> }>();

  constructor(
    private readonly settings: IdempotencySettings,
    private readonly now: () => Date,
    private readonly warn: (err: unknown, msg: string) => void = () => undefined,
  ) {}

  options(request: FastifyRequest, principalId: string): KeyedOptions {
    const header = request.headers['idempotency-key'];
    const key = Array.isArray(header) ? header[0] : header;
    if (key === undefined) return { key: null, correlationId: request.id };
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
      throw new HttpError(400, 'VALIDATION_ERROR', 'Idempotency-Key must be 1-255 visible ASCII characters', {}, [
        { field: 'Idempotency-Key', message: 'must be 1-255 visible ASCII characters' },
      ]);
    }
    return {
      key,
      commandId: keyedCommandId(principalId, key),
      correlationId: request.id,
      // A keyed command keeps a refusal as its outcome: the key then has one outcome for good.
      recordRejection: true,
      requestHash: requestHash(
        request.method,
        request.routeOptions.url ?? '',
        request.params,
        hashedBodies.has(request) ? hashedBodies.get(request) : request.body,
      ),
    };
  }

  /**
   * Answers a keyed request once: `fn` produces the answer (or throws). `storable` turns a thrown error that is a
   * decision (a domain rejection) into its answer, to be stored and replayed; other errors (a version conflict past
   * its retries, a provider or database outage) free the key for a retry and reach the error handler.
   */
  async run(
    opts: KeyedOptions,
    fn: () => Promise<Answer>,
    storable: (err: unknown, requestUrl: string) => Rejection | null,
    requestUrl: string,
  ): Promise<Answer> {
    const { commandId, requestHash } = opts;
    if (!commandId || !requestHash) return fn();
    const running = this.inFlight.get(commandId);
    if (running) {
      if (running.hash !== requestHash) throw reused();
      return { ...(await running.promise), replayed: true };
    }
    const p = this.once(commandId, requestHash, fn, storable, requestUrl);
    this.inFlight.set(commandId, { hash: requestHash, promise: p });
    try {
      return await p;
    } finally {
      this.inFlight.delete(commandId);
    }
  }

  /**
   * Claims the key; a key in flight for a process whose heartbeat stopped (it died mid-request) is taken over at once
   * rather than after its lock. Safe whatever the dead request did: the key is its command id, so the command still
   * applies at most once, and a first request that committed is answered from its command record.
   */
  private async acquire(id: string, hash: string): Promise<Claim> {
    const { store, lockMs, ttlMs, liveness } = this.settings;
    const claim = await store.claim(id, hash, this.now(), lockMs, ttlMs, liveness?.instanceId);
    if (claim.kind !== 'in-flight' || !liveness || !claim.owner || claim.owner === liveness.instanceId) return claim;
    const deadOwner = claim.owner;
    // A liveness that cannot be read (the database is away) respects the lock.
    if (await liveness.isAlive(deadOwner).catch(() => true)) return claim;
    const takeOver = { id, requestHash: hash, deadOwner, owner: liveness.instanceId, now: this.now(), lockMs, ttlMs };
    if (await store.takeOver(takeOver)) {
      this.warn(null, `idempotency key ${id} taken over from stopped process ${deadOwner}`);
      return { kind: 'claimed' };
    }
    // The record changed meanwhile (completed, released, taken by another retry): what holds it now decides.
    return store.claim(id, hash, this.now(), lockMs, ttlMs, liveness.instanceId);
  }

  private async once(
    id: string,
    hash: string,
    fn: () => Promise<Answer>,
    storable: (err: unknown, requestUrl: string) => Rejection | null,
    requestUrl: string,
  ): Promise<Answer> {
    const s = this.settings;
    const claim = await this.acquire(id, hash);
    if (claim.kind !== 'claimed') {
      if (claim.requestHash !== hash) throw reused();
      if (claim.kind === 'in-flight') {
        throw new HttpError(409, 'IDEMPOTENCY_KEY_IN_FLIGHT', 'a request with this Idempotency-Key is in progress', {
          'retry-after': '1',
        });
      }
      return { ...claim.response, replayed: true };
    }
    let answer: Answer;
    try {
      answer = await fn();
    } catch (err) {
      const rejection = storable(err, requestUrl);
      if (!rejection) {
        await s.store.release(id, hash).catch(() => undefined);
        throw err;
      }
      // A decision (e.g. 409 INVALID_STATE_TRANSITION) is an answer like any other: stored and replayed as sent.
      answer = { replayed: false, ...rejection };
    }
    // The command has its effect already: a store that fails now costs the replay cache, never the answer.
    await s.store.complete(id, hash, answer, this.now(), s.ttlMs).catch(async (err: unknown) => {
      this.warn(err, 'idempotency store: could not keep the response');
      await s.store.release(id, hash).catch(() => undefined);
    });
    return answer;
  }
}

const reused = () =>
  new HttpError(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request');
