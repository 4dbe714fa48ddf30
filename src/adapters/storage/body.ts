import { createHash, type Hash } from 'node:crypto';
import { FileTooLargeError, type FileBody } from '../../app/ports/fileStorage.js';

/** The chunks of a body, whether it came whole or as a stream. */
export async function* chunksOf(body: FileBody): AsyncIterable<Uint8Array> {
  if (body instanceof Uint8Array) yield body;
  else yield* body;
}

/** Counts and hashes bytes as they pass; throws FileTooLargeError as soon as they exceed the limit. */
export class Measure {
  size = 0;
  readonly #hash: Hash = createHash('sha256');

  constructor(readonly maxBytes: number) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0)
      throw new Error(`maxBytes must be an integer ≥ 0: ${maxBytes}`);
  }

  add(chunk: Uint8Array): void {
    this.size += chunk.byteLength;
    if (this.size > this.maxBytes) throw new FileTooLargeError(this.maxBytes);
    this.#hash.update(chunk);
  }

  /** Hex SHA-256 of everything added (call once). */
  sha256(): string {
    return this.#hash.digest('hex');
  }
}

/** Hashes a whole stream within the limit. */
export async function measureStream(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Measure> {
  const m = new Measure(maxBytes);
  for await (const chunk of body) m.add(chunk);
  return m;
}

export function expiresAt(now: Date, seconds: number): Date {
  if (!Number.isSafeInteger(seconds) || seconds < 1)
    throw new Error(`expiresInSeconds must be an integer ≥ 1: ${seconds}`);
  return new Date(now.getTime() + seconds * 1000);
}

/** Runs f so that its errors, even synchronous ones (a bad key), reach the caller as a rejected promise. */
export function settle<T>(f: () => T): Promise<Awaited<T>> {
  try {
    return Promise.resolve(f());
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}
