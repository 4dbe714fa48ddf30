/** Latency samples in milliseconds, grouped by a label (command type, lifecycle step); shared by both benches. */
export class LatencyRecorder {
  private readonly samples = new Map<string, number[]>();

  add(label: string, ms: number): void {
    const list = this.samples.get(label);
    if (list) list.push(ms);
    else this.samples.set(label, [ms]);
  }

  labels(): string[] {
    return [...this.samples.keys()];
  }

  summary(label?: string): LatencySummary {
    const values = label === undefined ? [...this.samples.values()].flat() : (this.samples.get(label) ?? []);
    return summarize(values);
  }
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles (no interpolation: every figure is a latency that was observed). */
export function summarize(values: readonly number[]): LatencySummary {
  if (values.length === 0) return { count: 0, mean: NaN, p50: NaN, p90: NaN, p95: NaN, p99: NaN, max: NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  const sum = sorted.reduce((a, v) => a + v, 0);
  return {
    count: sorted.length,
    mean: sum / sorted.length,
    p50: at(0.5),
    p90: at(0.9),
    p95: at(0.95),
    p99: at(0.99),
    max: sorted[sorted.length - 1]!,
  };
}
