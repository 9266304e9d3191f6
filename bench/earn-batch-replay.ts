import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { createApp } from '../gateway/app';
import {
  benchBasket,
  earnCurrency,
  rulesCurrency,
  seedBenchData,
  seedTieredProgram,
  spreadAwards,
  tieredCurrency,
} from './bench-data';
import { openBenchServer } from './database-server';
import { seedRules } from './figures/earn-rules-vs-plain';

/**
 * A process's CPU time in seconds, from /proc/<pid>/schedstat (nanoseconds, as the scheduler
 * counts it): /proc/<pid>/stat counts 10 ms ticks, too coarse for windows of a few batches.
 */
async function cpuSeconds(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/schedstat`, 'utf8');
  return Number(text.split(' ')[0]) / 1e9;
}

/**
 * The database's CPU per earn batch, to a few per cent on a noisy machine: batches of
 * `ledger_earn_batch` are captured from the purchase service (the spread earn load, C clients,
 * in BPT without a ladder, in BTR with one, and in BRU with one and the 20 campaigns of
 * `earn_rules_vs_plain`, its baskets and channels), then replayed one at a time on one connection
 * with fresh transfer ids, transaction ids and keys, each its own transaction. The sides
 * alternate every 10 batches and the backend's CPU is read around each chunk from
 * /proc/<pid>/schedstat (the server must run on this machine), so a change in the machine's
 * speed falls on every side alike, nothing else is counted and nothing waits on a lock. The
 * load tools (`rules-database-cpu.js`, the bench's figures) move 10-15 % between windows; this
 * moves 1-3 % between rounds (docs/earn-path.md).
 *
 *   npm run build && node dist/bench/earn-batch-replay.js [batches per side] [rounds] [clients]
 *
 * EARN_BATCH_SQL names a variant of `ledger_earn_batch` (`create or replace function
 * ledger_earn_batch(...)`, e.g. from `pg_get_functiondef`): it is installed beside the function
 * as `ledger_earn_batch_variant` and replays BTR's batches as another side (BPT's with
 * EARN_BATCH_VARIANT_OF=untiered, BRU's with =rules). Each batch replays with the statement
 * text it was captured with, so the tool measures whatever arguments the gateway sends.
 * EARN_BATCH_SIZES=5,20 captures every program's batches at each number of clients and splits
 * a batch's cost into its fixed part and its part per earn.
 * EARN_BATCH_EXPLAIN=rules (a side's name) prints the plan of every statement of one of its
 * batches, with times (auto_explain), instead of measuring.
 * Runs on the bench's embedded PostgreSQL or DATABASE_URL's server, in `replay_batches`, dropped
 * at the end.
 */
async function main(): Promise<void> {
  const batchesPerSide = Number(process.argv[2] ?? 200);
  const rounds = Number(process.argv[3] ?? 5);
  const concurrency = Number(process.argv[4] ?? 10);
  // EARN_BATCH_SIZES=5,20: both programs' batches formed by 5 and by 20 clients, as sides of
  // one run, to split a batch's cost into its fixed part and its part per earn.
  const batchSizes = process.env.EARN_BATCH_SIZES?.split(',').map(Number) ?? [concurrency];
  const members = 10_000;
  const server = await openBenchServer({
    databaseUrl: process.env.DATABASE_URL,
    prefix: 'replay',
    log: (line) => console.error(line),
  });
  try {
    const url = await server.recreateDatabase('batches');
    await seedBenchData(url, members);
    await seedTieredProgram(url, members, tieredCurrency);
    await seedTieredProgram(url, members, rulesCurrency);
    await seedRules(url);
    // Batches by the load that formed them: `${currency}×${clients}`.
    const captured = new Map<string, { text: string; values: unknown[] }[]>();
    let capturing = '';
    // Every call of the batch function the app makes, with its parameters as sent.
    const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
    pg.Client.prototype.query = function capture(this: pg.Client, ...args: unknown[]) {
      // The app's Sql passes { text, values } (or a named statement).
      const [first, second] = args;
      const config = (typeof first === 'string' ? { text: first, values: second } : first) as {
        text?: string;
        values?: unknown[];
      };
      if (config?.text?.includes('from ledger_earn_batch(') && config.values) {
        const batches = captured.get(capturing) ?? [];
        captured.set(capturing, batches);
        batches.push({ text: config.text, values: structuredClone(config.values) });
      }
      return query.apply(this, args);
    } as typeof pg.Client.prototype.query;
    const app = await createApp({ databaseUrl: url, migrate: false });
    try {
      const spread = spreadAwards(app, members, 'REPLAY');
      const spreadWithRules = spreadAwards(app, members, 'REPLAY-RULES', benchBasket);
      const run = (count: number, currency: string, clients: number) => {
        capturing = `${currency}×${clients}`;
        return (currency === rulesCurrency ? spreadWithRules : spread)(count, currency, clients);
      };
      // Enough earns that each side has its batches after the warm-up's.
      for (const clients of batchSizes) {
        await run(batchesPerSide * clients * 2, earnCurrency, clients);
        await run(batchesPerSide * clients * 2, tieredCurrency, clients);
        await run(batchesPerSide * clients * 2, rulesCurrency, clients);
      }
    } finally {
      await app.close();
      pg.Client.prototype.query = query as typeof pg.Client.prototype.query;
    }
    const sideBatches = (currency: string, clients = concurrency) =>
      (captured.get(`${currency}×${clients}`) ?? [])
        .slice(-batchesPerSide)
        .map(({ text, values }) => ({ text, params: values }));
    const client = new pg.Client(url);
    await client.connect();
    try {
      await client.query('analyze');
      const variantFile = process.env.EARN_BATCH_SQL;
      // The variant is installed beside the function, under its own name, so both keep their
      // cached plans and the sides can alternate every few batches.
      if (variantFile) {
        const variant = readFileSync(variantFile, 'utf8').replace(
          /function\s+(public\.)?ledger_earn_batch\(/i,
          'function ledger_earn_batch_variant(',
        );
        if (!variant.includes('ledger_earn_batch_variant(')) {
          throw new Error(`${variantFile}: no "create function ledger_earn_batch(" to rename`);
        }
        await client.query(variant);
      }
      const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!
        .pid;
      const sides = [
        ...batchSizes.flatMap((clients) =>
          [
            ['untiered', earnCurrency],
            ['tiered', tieredCurrency],
            ['rules', rulesCurrency],
          ].map(([name, currency]) => ({
            name: batchSizes.length > 1 ? `${name}×${clients}` : name!,
            batches: sideBatches(currency!, clients),
            function: 'ledger_earn_batch',
          })),
        ),
        ...(variantFile
          ? [
              {
                name: 'variant',
                // EARN_BATCH_VARIANT_OF=untiered or rules: the variant replays BPT's or BRU's
                // batches instead.
                batches: sideBatches(
                  { untiered: earnCurrency, rules: rulesCurrency }[
                    process.env.EARN_BATCH_VARIANT_OF ?? ''
                  ] ?? tieredCurrency,
                ),
                function: 'ledger_earn_batch_variant',
              },
            ]
          : []),
      ];
      let replay = 0;
      const replayed = (params: unknown[]): unknown[] => {
        replay++;
        const fresh = (values: unknown) =>
          (values as (string | null)[]).map((value) =>
            value === null ? null : `${value}~${replay}`,
          );
        const copy = [...params];
        // Transfer ids keep their format (trf_ and 26 of [a-z0-9]): the replay's number replaces
        // the first 8 characters, the rest stays unique within the batch.
        const stamp = replay.toString(36).padStart(8, '0');
        copy[0] = (params[0] as string[]).map((id) => `trf_${stamp}${id.slice(12)}`);
        copy[6] = fresh(params[6]); // transaction ids
        copy[15] = fresh(params[15]); // keys (an earn's is its transaction id)
        // Each earn's time: now, as the gateway stamps it.
        copy[9] = (params[9] as unknown[]).map(() => new Date());
        return copy;
      };
      const post = async (
        side: (typeof sides)[number],
        batch: { text: string; params: unknown[] },
      ) => {
        const result = await client.query<{ status: string }>(
          batch.text.replace('from ledger_earn_batch(', `from ${side.function}(`),
          replayed(batch.params),
        );
        const claimed = result.rows.filter((row) => row.status === 'claimed').length;
        if (claimed !== result.rowCount) {
          throw new Error(`${side.name}: ${(result.rowCount ?? 0) - claimed} entries not claimed`);
        }
        return claimed;
      };
      // Each side once, unmeasured: plans made and caches warm.
      for (const side of sides) {
        for (const batch of side.batches.slice(0, 20)) await post(side, batch);
      }
      // EARN_BATCH_EXPLAIN=<side>: the plan of each statement of one of its batches, with
      // row counts and times (auto_explain, nested statements, as notices), then stop.
      const explained = sides.find((side) => side.name === process.env.EARN_BATCH_EXPLAIN);
      if (explained) {
        client.on('notice', (notice) => console.log(notice.message));
        await client.query(`load 'auto_explain'`);
        for (const setting of [
          'log_min_duration = 0',
          'log_analyze = on',
          'log_nested_statements = on',
          'log_level = notice',
        ]) {
          await client.query(`set auto_explain.${setting}`);
        }
        await post(explained, explained.batches[20]!);
        return;
      }
      // Sides alternate every `chunk` batches, so a change in the machine's speed falls on all
      // of them alike; each side's CPU is the sum over its chunks.
      const chunk = 10;
      const measured: Record<string, { perEarn: number[]; size: number }> = {};
      for (let round = 0; round < rounds; round++) {
        // A vacuumed ledger at each round: otherwise the hot rows' dead versions pile up.
        await client.query('vacuum');
        const used = sides.map(() => 0);
        const earns = sides.map(() => 0);
        for (let start = 0; start < batchesPerSide; start += chunk) {
          for (let k = 0; k < sides.length; k++) {
            const index = (k + start / chunk + round) % sides.length;
            const side = sides[index]!;
            const before = await cpuSeconds(pid);
            for (const batch of side.batches.slice(start, start + chunk)) {
              earns[index]! += await post(side, batch);
            }
            used[index]! += (await cpuSeconds(pid)) - before;
          }
        }
        for (const [index, side] of sides.entries()) {
          const perEarn = (used[index]! * 1e6) / earns[index]!;
          const size = earns[index]! / side.batches.length;
          const entry = measured[side.name] ?? { perEarn: [], size };
          measured[side.name] = entry;
          entry.perEarn.push(perEarn);
          console.log(
            `round ${round + 1} ${side.name}: ${perEarn.toFixed(1)} µs/earn (${side.batches.length} batches of ${size.toFixed(1)} earns)`,
          );
        }
      }
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
      for (const [name, { perEarn, size }] of Object.entries(measured)) {
        console.log(
          `${name}: ${median(perEarn).toFixed(1)} µs/earn (${Math.min(...perEarn).toFixed(1)}-${Math.max(...perEarn).toFixed(1)}), ${((median(perEarn) * size) / 1000).toFixed(2)} ms per batch of ${size.toFixed(1)}`,
        );
      }
      // Two batch sizes: each program's batch cost as a fixed part plus a part per earn.
      if (batchSizes.length === 2) {
        for (const name of ['untiered', 'tiered', 'rules']) {
          const [small, large] = batchSizes.map((clients) => measured[`${name}×${clients}`]!);
          const batchUs = (side: { perEarn: number[]; size: number }) =>
            median(side.perEarn) * side.size;
          const perEarn = (batchUs(large!) - batchUs(small!)) / (large!.size - small!.size);
          const fixed = batchUs(small!) - perEarn * small!.size;
          console.log(
            `${name}: a batch costs ${(fixed / 1000).toFixed(2)} ms plus ${perEarn.toFixed(1)} µs per earn`,
          );
        }
      }
    } finally {
      await client.end();
    }
  } finally {
    await server.dropDatabases();
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
