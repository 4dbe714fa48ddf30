import { Counter, type Registry } from 'prom-client';
import type { HandledCommand } from '../app/ports/index.js';

/**
 * The business counters of /metrics (seed 003 §2 "Business metrics", issue 13 item 5), per currency. They are counted
 * from the events of a command after its transaction committed (the command path's `committed` observer), in the one
 * process that committed it: a duplicate delivery (Kafka redelivery, a retried request) is answered from the first
 * result and commits nothing, so each event is counted once across every replica — sum() over the instances is the
 * total, and increase() over a window copes with restarts. Amounts are minor units (a float in Prometheus: exact up
 * to 2^53, about 9·10^13 of a two-decimal currency per process lifetime).
 */
export class BusinessMetrics {
  readonly created: Counter<'currency'>;
  readonly funded: Counter<'currency'>;
  readonly released: Counter<'currency'>;
  readonly refunded: Counter<'currency'>;
  readonly disputed: Counter<'currency'>;
  readonly volume: Counter<'currency'>;
  readonly fees: Counter<'currency'>;

  constructor(registry: Registry) {
    const counter = (name: string, help: string) =>
      new Counter({ name, help, labelNames: ['currency'] as const, registers: [registry] });
    this.created = counter('escrow_created_total', 'Escrows created, by currency');
    this.funded = counter('escrow_funded_total', 'Escrows funded (payment matched and held), by currency');
    this.released = counter('escrow_released_total', 'Escrows (or milestones) released to the seller, by currency');
    this.refunded = counter(
      'escrow_refunded_total',
      'Escrows (or milestones) refunded to the buyer (fully or partly), by currency',
    );
    this.disputed = counter('escrow_disputed_total', 'Disputes opened, by currency of their escrow');
    this.volume = counter('escrow_volume_minor_total', 'Amount funded (held), in minor units, by currency');
    this.fees = counter(
      'escrow_platform_fees_minor_total',
      'Platform fee revenue booked (the platform:fee_revenue postings of releases and refunds), minor units',
    );
  }

  /** Counts the events of one committed command. */
  count(handled: HandledCommand): void {
    const currency = handled.escrow.currency;
    for (const ev of handled.events) {
      const data = ev.data as unknown as Record<string, unknown>;
      if (ev.type === 'EscrowCreated') this.created.inc({ currency });
      else if (ev.type === 'EscrowFundsHeld') {
        this.funded.inc({ currency });
        this.volume.inc({ currency }, minor(data.amount));
      } else if (ev.type === 'EscrowReleased' || ev.type === 'EscrowRefunded') {
        (ev.type === 'EscrowReleased' ? this.released : this.refunded).inc({ currency });
        this.fees.inc({ currency }, minor(data.feeAmount));
      } else if (ev.type === 'MilestoneReleased' || ev.type === 'MilestoneRefunded') {
        (ev.type === 'MilestoneReleased' ? this.released : this.refunded).inc({ currency });
        this.fees.inc({ currency }, minor(data.feeAmount));
      } else if (ev.type === 'DisputeOpened') this.disputed.inc({ currency });
    }
  }
}

const minor = (value: unknown): number => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : 0);
