import { isInfrastructureError, type Database, type PgError } from './database.js';

type Outcome = { error?: PgError } & Record<string, unknown>;

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
 * batch is retried with a savepoint per command so only the failing one is refused, and should the batch still fail
 * as a whole it is split in halves until the failure is alone: one client's command never fails another's. Under
 * load this pays one round trip and one WAL flush per batch instead of per command; when idle it adds no delay.
 * Commands of one escrow keep their order: the queue is FIFO, a batch applies in order and halves run in order.
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
    let outcomes: Outcome[];
    try {
      // Savepoints cost a subtransaction per command: first try without them. Any error aborts that attempt
      // (nothing is written); a lone command's error is its own, a batch is retried with a savepoint per command.
      outcomes = await this.commit(batch, false);
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      try {
        outcomes = await this.commit(batch, true);
      } catch (again) {
        // The batch failed as a whole, outside every command's savepoint. Unless the database itself is gone, that
        // must not fail commands that would succeed alone: halves run in order (an escrow's commands keep theirs)
        // until whatever fails is alone.
        if (isInfrastructureError(again)) for (const b of batch) b.reject(again);
        else await this.bisect(batch);
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

  private async bisect(batch: Pending[]): Promise<void> {
    const half = Math.ceil(batch.length / 2);
    await this.run(batch.slice(0, half));
    await this.run(batch.slice(half));
  }

  /**
   * One transaction: each command is its own JSON text, parsed inside its savepoint (migration 011). Each text is a
   * parameter of its own (ARRAY[$1, $2, …]): one text[] parameter would have node-postgres escape every quote of
   * every command into an array literal, a measurable share of the HTTP path's CPU.
   */
  private async commit(batch: Pending[], isolate: boolean): Promise<Outcome[]> {
    const texts = batch.map((_, i) => `$${i + 1}::text`).join(', ');
    const { rows } = await this.db.query<{ out: Outcome[] }>(
      `SELECT escrow_commit_batch(ARRAY[${texts}], $${batch.length + 1}) AS out`,
      [...batch.map((b) => b.json), isolate],
    );
    return rows[0]!.out;
  }
}
