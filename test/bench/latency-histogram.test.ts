import { LatencyHistogram } from '../../bench/latency-histogram';

describe('LatencyHistogram', () => {
  it('reads exact percentiles below 128 microseconds', () => {
    const histogram = new LatencyHistogram();
    for (let micros = 1; micros <= 100; micros++) histogram.record(micros);
    expect(histogram.count).toBe(100);
    expect(histogram.percentile(0.5)).toBe(50);
    expect(histogram.percentile(0.99)).toBe(99);
    expect(histogram.percentile(1)).toBe(100);
    expect(histogram.meanMicros).toBe(50.5);
  });

  it('keeps larger latencies within 1/64 of the true value in a fixed number of buckets', () => {
    const histogram = new LatencyHistogram();
    const values = [1_000, 5_432, 12_345, 98_765, 1_234_567, 45_000_000];
    for (const value of values) histogram.record(value);
    values.forEach((value, index) => {
      const read = histogram.percentile((index + 1) / values.length);
      expect(Math.abs(read - value) / value).toBeLessThanOrEqual(1 / 64);
    });
    expect(histogram.maxRecordedMicros).toBe(45_000_000);
  });

  it('answers the p50 and p99 of a skewed load', () => {
    const histogram = new LatencyHistogram();
    for (let index = 0; index < 990; index++) histogram.record(2_000);
    for (let index = 0; index < 10; index++) histogram.record(80_000);
    expect(histogram.percentile(0.5)).toBe(2_007.5);
    expect(histogram.percentile(0.99)).toBe(2_007.5);
    expect(histogram.percentile(0.995)).toBe(80_000);
  });

  it('merges the counts of another histogram', () => {
    const first = new LatencyHistogram();
    const second = new LatencyHistogram();
    first.record(10);
    second.record(30);
    second.record(20);
    first.merge(second);
    expect(first.count).toBe(3);
    expect(first.percentile(0.5)).toBe(20);
    expect(first.maxRecordedMicros).toBe(30);
  });

  it('has no percentile before anything is recorded', () => {
    expect(new LatencyHistogram().percentile(0.5)).toBeNaN();
  });
});
