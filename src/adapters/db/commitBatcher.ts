import type { Database, PgError } from './database.js';

interface Pending {
  json: string;
  resolve: (outcome: unknown) => void;
  reject: (err: unknown) => void;
}

export interface CommitBatcherOptions {
  /** Most commands in one transaction. */
  maxBatch: number;
  /** Batches running at once (each holds one connection while it runs). */
  maxInFlight: number;
}

/**
 * Group commit for the command path. A commit request runs at once when a slot is free; requests arriving while all
 * slots are busy queue and go together in the next transaction (`escrow_commit_batch`); if any of them fails, the
 * batch is retried with a savepoint per command so only the failing one is refused. Under load this pays one round trip and one WAL flush per batch instead of per command; when idle it
 * adds no delay. Commands of one escrow keep their order: the queue is FIFO and a batch applies in order.
 */
export class CommitBatcher {
  private readonly queue: Pending[] = [];
  private inFlight = 0;

  constructor(
    private readonly db: Database,
    private readonly opts: CommitBatcherOptions,
  ) {}

  /** Commits one escrow_commit input; resolves to its outcome or rejects with its (PostgreSQL-shaped) error. */
  submit(input: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.push({ json: JSON.stringify(input), resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.opts.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async run(batch: Pending[]): Promise<void> {
    const input = `[${batch.map((b) => b.json).join(',')}]`;
    const commit = async (isolate: boolean) =>
      (
        await this.db.query<{ out: ({ error?: PgError } & Record<string, unknown>)[] }>(
          'SELECT escrow_commit_batch($1::jsonb, $2) AS out',
          [input, isolate],
        )
      ).rows[0]!.out;
    let outcomes: Awaited<ReturnType<typeof commit>>;
    try {
      // Savepoints cost a subtransaction per command: first try without them. Any error aborts that attempt
      // (nothing is written); a lone command's error is its own, a batch is retried with a savepoint per command.
      outcomes = await commit(false);
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      try {
        outcomes = await commit(true);
      } catch (again) {
        for (const b of batch) b.reject(again);
        return;
      }
    }
    batch.forEach((b, i) => {
      const o = outcomes[i];
      if (!o) b.reject(new Error('escrow_commit_batch returned fewer outcomes than inputs'));
      else if (o.error) b.reject(Object.assign(new Error(o.error.message), o.error));
      else b.resolve(o);
    });
  }
}
