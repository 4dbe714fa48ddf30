import type { CheckItem } from '../app/dailyCheck.js';

/** A check's work; `onAbandon` registers what to close if the check gives up on it (a late connection, a retry loop). */
export type Guarded<T> = (onAbandon: (cleanup: () => unknown) => void) => Promise<T>;

/** The item's service did not answer within its time. */
export class DeployCheckTimeout extends Error {
  override readonly name = 'DeployCheckTimeout';
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/**
 * Runs `run`, rejecting with DeployCheckTimeout after `ms`; on a timeout the cleanups registered so far run, so the
 * abandoned work releases its sockets instead of keeping the process alive.
 */
export async function guard<T>(ms: number, run: Guarded<T>): Promise<T> {
  const cleanups: (() => unknown)[] = [];
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      for (const c of cleanups)
        void Promise.resolve()
          .then(c)
          .catch(() => undefined);
      reject(new DeployCheckTimeout(ms));
    }, ms);
  });
  try {
    return await Promise.race([run((c) => void cleanups.push(c)), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A failed item with its next step. */
export const failure = (name: string, question: string, value: string, next: string): CheckItem => ({
  name,
  question,
  status: 'fail',
  value,
  next,
});

/** What an error says, for an item's value (the first of an AggregateError: e.g. ECONNREFUSED on ::1 and 127.0.0.1). */
export function messageOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return messageOf(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return err.message || (typeof code === 'string' ? code : err.name);
  }
  return String(err);
}
