import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { derivedId } from '../app/ids.js';
import type { SubmitOptions } from '../app/escrowService.js';
import { canonical } from '../app/verify.js';
import { HttpError } from './problem.js';

/**
 * Idempotency-Key (SPEC §5). The key becomes the command id (per caller), so the command path itself guarantees one
 * effect — the record of it is written in the command's own transaction, never beside it. The request's hash travels
 * with the command: the same key with another request is refused (422). Requests with a key still in flight in this
 * process wait for it and answer the same; across replicas the command path deduplicates them.
 */
export class IdempotencyGate {
  private readonly inFlight = new Map<string, { hash: string | undefined; promise: Promise<unknown> }>();

  options(request: FastifyRequest, principalId: string): SubmitOptions & { key: string | null } {
    const header = request.headers['idempotency-key'];
    const key = Array.isArray(header) ? header[0] : header;
    if (key === undefined) return { key: null, correlationId: request.id };
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
      throw new HttpError(400, 'VALIDATION_ERROR', 'Idempotency-Key must be 1-255 visible ASCII characters', {}, [
        { field: 'Idempotency-Key', message: 'must be 1-255 visible ASCII characters' },
      ]);
    }
    const requestHash = createHash('sha256')
      .update(
        `${request.method} ${request.routeOptions.url ?? ''} ${canonical(request.params)} ${canonical(request.body ?? {})}`,
      )
      .digest('hex');
    return {
      key,
      commandId: derivedId(`idempotency:${principalId}:${key}`),
      correlationId: request.id,
      requestHash,
    };
  }

  /** Runs `fn` once per command id at a time in this process; concurrent callers share the outcome. */
  async run<T>(
    opts: { commandId?: string; requestHash?: string },
    fn: () => Promise<T>,
  ): Promise<{ value: T; shared: boolean }> {
    const { commandId, requestHash } = opts;
    if (!commandId) return { value: await fn(), shared: false };
    const running = this.inFlight.get(commandId);
    if (running) {
      if (running.hash !== requestHash) {
        throw new HttpError(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key is in use by another request');
      }
      return { value: (await running.promise) as T, shared: true };
    }
    const p = fn();
    this.inFlight.set(commandId, { hash: requestHash, promise: p });
    try {
      return { value: await p, shared: false };
    } finally {
      this.inFlight.delete(commandId);
    }
  }
}
