/**
 * A latency histogram with logarithmic buckets (2 % wide, 10 µs to ~2 min): small enough to send over IPC
 * and merge across load-generator processes, precise enough for p50/p99 (error ≤ 2 %).
 */
const MIN_MS = 0.01;
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = Math.ceil(Math.log(120_000 / MIN_MS) / LOG_GROWTH) + 2;

export interface HistogramData {
  counts: number[];
  count: number;
  sum: number;
  max: number;
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export class Histogram {
  private counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  record(ms: number): void {
    const value = ms > MIN_MS ? ms : MIN_MS;
    const index = Math.min(BUCKETS - 1, Math.floor(Math.log(value / MIN_MS) / LOG_GROWTH));
    this.counts[index]++;
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  merge(other: HistogramData | Histogram): this {
    const data = other instanceof Histogram ? other.toJSON() : other;
    data.counts.forEach((value, index) => (this.counts[index] += value));
    this.count += data.count;
    this.sum += data.sum;
    this.max = Math.max(this.max, data.max);
    return this;
  }

  /** Upper edge of the bucket holding the q-quantile (so percentiles err on the slow side). */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let index = 0; index < BUCKETS; index++) {
      seen += this.counts[index];
      if (seen >= rank) return Math.min(this.max, MIN_MS * GROWTH ** (index + 1));
    }
    return this.max;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      mean: this.count ? round(this.sum / this.count) : 0,
      p50: round(this.quantile(0.5)),
      p90: round(this.quantile(0.9)),
      p99: round(this.quantile(0.99)),
      p999: round(this.quantile(0.999)),
      max: round(this.max),
    };
  }

  toJSON(): HistogramData {
    // Sparse-friendly: trailing zero buckets are dropped before crossing a process boundary.
    let last = BUCKETS - 1;
    while (last >= 0 && this.counts[last] === 0) last--;
    return {
      counts: Array.from(this.counts.subarray(0, last + 1)),
      count: this.count,
      sum: this.sum,
      max: this.max,
    };
  }

  static from(data: HistogramData): Histogram {
    return new Histogram().merge(data);
  }
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
