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
 * slots are busy queue and go together in the next transaction (`escrow_commit_batch`), each under its own
 * savepoint. Under load this pays one round trip and one WAL flush per batch instead of per command; when idle it
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
    let outcomes: ({ error?: PgError } & Record<string, unknown>)[];
    try {
      const { rows } = await this.db.query<{ out: typeof outcomes }>('SELECT escrow_commit_batch($1::jsonb) AS out', [
        `[${batch.map((b) => b.json).join(',')}]`,
      ]);
      outcomes = rows[0]!.out;
    } catch (err) {
      for (const b of batch) b.reject(err);
      return;
    }
    batch.forEach((b, i) => {
      const o = outcomes[i];
      if (!o) b.reject(new Error('escrow_commit_batch returned fewer outcomes than inputs'));
      else if (o.error) b.reject(Object.assign(new Error(o.error.message), o.error));
      else b.resolve(o);
    });
  }
}
