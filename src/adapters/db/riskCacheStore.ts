import type { Clock, RiskCacheStore, RiskResult, RiskVerdict } from '../../app/ports/index.js';
import type { Database } from './database.js';

type Entry = Omit<RiskResult, 'cached'>;

/** A sanctioned result is stored with this prefix on its detail (risk_screenings has no column of its own for it). */
const SANCTIONED = 'sanctioned: ';

const GET = `
  SELECT verdict, score, detail FROM risk_screenings
   WHERE address = $1 AND screener = $2 AND expires_at > $3::timestamptz`;

const PUT = `
  INSERT INTO risk_screenings (address, screener, verdict, score, detail, screened_at, expires_at)
  VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $6::timestamptz + make_interval(secs => $7::double precision / 1000))
  ON CONFLICT (address, screener) DO UPDATE
     SET verdict = EXCLUDED.verdict, score = EXCLUDED.score, detail = EXCLUDED.detail,
         screened_at = EXCLUDED.screened_at, expires_at = EXCLUDED.expires_at`;

const PURGE = `DELETE FROM risk_screenings WHERE expires_at <= $1::timestamptz`;

/**
 * The shared risk-screening cache in `risk_screenings` (migration 012): one row per address and screener, used only
 * until `expires_at`, timed by the injected clock (tests move it). Addresses are compared in lower case.
 */
export class SqlRiskCacheStore implements RiskCacheStore {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock = { now: () => new Date() },
  ) {}

  async get(address: string, screener: string): Promise<Entry | null> {
    const { rows } = await this.db.query<{ verdict: RiskVerdict; score: number | null; detail: string | null }>(GET, [
      address.toLowerCase(),
      screener,
      this.clock.now().toISOString(),
    ]);
    const row = rows[0];
    if (!row) return null;
    const detail = row.detail ?? '';
    return {
      verdict: row.verdict,
      score: row.score,
      sanctioned: row.verdict === 'REJECT' && detail.startsWith(SANCTIONED),
      screener,
      detail,
    };
  }

  async put(address: string, result: Entry, ttlMs: number): Promise<void> {
    if (!(ttlMs > 0)) throw new Error(`risk cache: a TTL must be positive (got ${ttlMs} ms)`);
    const detail =
      result.sanctioned && !result.detail.startsWith(SANCTIONED) ? SANCTIONED + result.detail : result.detail;
    const score = result.score === null ? null : Math.round(result.score);
    await this.db.query(PUT, [
      address.toLowerCase(),
      result.screener,
      result.verdict,
      score,
      detail,
      this.clock.now().toISOString(),
      ttlMs,
    ]);
  }

  /** Deletes expired rows (they are never read); returns how many. */
  async purgeExpired(): Promise<number> {
    const { rowCount } = await this.db.query(PURGE, [this.clock.now().toISOString()]);
    return rowCount;
  }
}
