/**
 * Latencies in a fixed amount of memory, HDR-style: values below 128 microseconds are counted
 * exactly, larger ones in log-linear buckets of 64 per power of two, so any percentile read back
 * is within 1/64 (1.6 %) of the true value whatever the run's length.
 */
const exactMicrosMax = 128;
const bucketsPerPowerOfTwo = 64;
/** Latencies are clamped to this (about 35 minutes); a request never runs that long. */
export const latencyMicrosMax = 2 ** 31 - 1;
const bucketCount = exactMicrosMax + 25 * bucketsPerPowerOfTwo;

export class LatencyHistogram {
  private readonly counts = new Float64Array(bucketCount);
  count = 0;
  private sumMicros = 0;
  private minMicros = Number.POSITIVE_INFINITY;
  private maxMicros = 0;

  /** Records one latency, in microseconds (fractions are dropped). */
  record(micros: number): void {
    const value = Math.min(Math.max(Math.floor(micros), 0), latencyMicrosMax);
    this.counts[bucketOf(value)]! += 1;
    this.count += 1;
    this.sumMicros += value;
    if (value < this.minMicros) this.minMicros = value;
    if (value > this.maxMicros) this.maxMicros = value;
  }

  /** Adds another histogram's counts to this one. */
  merge(other: LatencyHistogram): void {
    for (let index = 0; index < bucketCount; index++) this.counts[index]! += other.counts[index]!;
    this.count += other.count;
    this.sumMicros += other.sumMicros;
    this.minMicros = Math.min(this.minMicros, other.minMicros);
    this.maxMicros = Math.max(this.maxMicros, other.maxMicros);
  }

  /**
   * The latency below which `fraction` (0-1) of the recorded values lie, in microseconds: the
   * middle of the bucket holding the value of that rank, clamped to the exact min and max.
   */
  percentile(fraction: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(fraction * this.count));
    let seen = 0;
    for (let index = 0; index < bucketCount; index++) {
      seen += this.counts[index]!;
      if (seen >= rank) {
        const middle = bucketLowest(index) + (bucketWidth(index) - 1) / 2;
        return Math.min(Math.max(middle, this.minMicros), this.maxMicros);
      }
    }
    return this.maxMicros;
  }

  get meanMicros(): number {
    return this.count === 0 ? Number.NaN : this.sumMicros / this.count;
  }

  get maxRecordedMicros(): number {
    return this.count === 0 ? Number.NaN : this.maxMicros;
  }
}

function bucketOf(value: number): number {
  if (value < exactMicrosMax) return value;
  // value >> shift lands in [64, 128): the top 7 bits of the value.
  const shift = 32 - Math.clz32(value) - 7;
  return exactMicrosMax + (shift - 1) * bucketsPerPowerOfTwo + ((value >>> shift) - 64);
}

function bucketLowest(index: number): number {
  if (index < exactMicrosMax) return index;
  const shift = Math.floor((index - exactMicrosMax) / bucketsPerPowerOfTwo) + 1;
  const mantissa = ((index - exactMicrosMax) % bucketsPerPowerOfTwo) + 64;
  return mantissa * 2 ** shift;
}

function bucketWidth(index: number): number {
  if (index < exactMicrosMax) return 1;
  return 2 ** (Math.floor((index - exactMicrosMax) / bucketsPerPowerOfTwo) + 1);
}
