import { setTimeout as sleep } from 'node:timers/promises';
import type { EarnEntry, EarnReceipt } from '../../gateway/ledger/earn';
import { EarnBatcher } from '../../gateway/ledger/earn-batcher';

/** Just what the batcher reads of an entry: its idempotency claim and its purchase. */
function entry(key: string, transactionId = key): EarnEntry {
  return {
    partnerId: 'ptr',
    transactionId,
    claim: { scope: 'ptr', operation: 'earn', key },
  } as unknown as EarnEntry;
}

/** A post that commits after `commitMs` and records each batch's size. */
function recordingPost(commitMs: number) {
  const sizes: number[] = [];
  const post = async (entries: EarnEntry[]) => {
    sizes.push(entries.length);
    await sleep(commitMs);
    return entries.map(() => ({}) as EarnReceipt);
  };
  return { sizes, post };
}

/**
 * `clients` closed-loop clients, each sending its next request a moment (a network round trip)
 * after the last is answered.
 */
async function closedLoop(batcher: EarnBatcher, clients: number, requestsEach: number) {
  let sequence = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let request = 0; request < requestsEach; request++) {
        await batcher.submit(entry(`k${sequence++}`));
        await sleep(1);
      }
    }),
  );
}

describe('EarnBatcher', () => {
  test('a request reaching an idle batcher is posted at once, alone', async () => {
    const { sizes, post } = recordingPost(0);
    // A gather time of ten minutes: had the batcher waited for it, the test would time out.
    const batcher = new EarnBatcher(post, 600_000);
    await batcher.submit(entry('only'));
    await batcher.submit(entry('next'));
    expect(sizes).toEqual([1, 1]);
  });

  test('closed-loop clients end up in one batch instead of alternating halves', async () => {
    const gathered = recordingPost(2);
    await closedLoop(new EarnBatcher(gathered.post, 1_000), 10, 6);
    const alternating = recordingPost(2);
    await closedLoop(new EarnBatcher(alternating.post, 0), 10, 6);

    // After the first lone request, every batch carries all ten clients.
    expect(gathered.sizes.slice(1, -1).every((size) => size === 10)).toBe(true);
    expect(alternating.sizes.length).toBeGreaterThan(gathered.sizes.length);
    expect(gathered.sizes.reduce((sum, size) => sum + size)).toBe(60);
  });

  test('queued requests wait no longer than the gather time for answered ones that do not return', async () => {
    const { sizes, post } = recordingPost(5);
    const batcher = new EarnBatcher(post, 10);
    const first = batcher.submit(entry('a'));
    const queued = [batcher.submit(entry('b')), batcher.submit(entry('c'))];
    await first;
    const answeredAt = performance.now();
    await Promise.all(queued);
    // b and c waited for a's client (which sends nothing more), then went together.
    expect(sizes).toEqual([1, 2]);
    expect(performance.now() - answeredAt).toBeGreaterThanOrEqual(9);
  });

  test('two requests with one key never share a batch', async () => {
    const { sizes, post } = recordingPost(1);
    const batcher = new EarnBatcher(post, 0);
    await Promise.all([
      batcher.submit(entry('x')),
      batcher.submit(entry('same')),
      batcher.submit(entry('same')),
    ]);
    expect(sizes).toEqual([1, 1, 1]);
  });

  test('two requests under one transaction id never share a batch', async () => {
    const batches: string[][] = [];
    const batcher = new EarnBatcher(async (entries: EarnEntry[]) => {
      batches.push(entries.map((e) => e.transactionId));
      await sleep(1);
      return entries.map(() => ({}) as EarnReceipt);
    }, 0);
    await Promise.all([
      batcher.submit(entry('x')),
      batcher.submit(entry('key-1', 'same-purchase')),
      batcher.submit(entry('key-2', 'same-purchase')),
      batcher.submit(entry('y')),
    ]);
    // The database function asserts distinct purchases per batch; the batcher keeps the
    // second request for the next one instead of failing the whole batch.
    for (const batch of batches) expect(new Set(batch).size).toBe(batch.length);
    expect(batches.flat().sort()).toEqual(['same-purchase', 'same-purchase', 'x', 'y']);
  });
});
