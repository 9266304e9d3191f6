import { readFileSync } from 'node:fs';
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
import { databaseUsage, usedBetween } from './database-cpu';
import { openBenchServer } from './database-server';
import { seedRules } from './figures/earn-rules-vs-plain';

/**
 * Where an earn with rules spends its CPU (issue 14): the earn_rules_vs_plain load (baskets,
 * channels, BRU with 20 campaigns against BTR without) posted through the purchase service,
 * C at a time, in rounds that alternate the sides, reporting per earn the database backends'
 * CPU and this process's (pricing, batching, the driver). With EARN_RULES_SQL, a variant of
 * ledger_earn_batch is a third side, swapped in and out around its windows on the same data.
 *
 *   npm run build && node dist/bench/rules-database-cpu.js [earns per window] [rounds] [concurrency]
 *
 * CPU times move less with the machine's load than rates do, but alternate and compare medians.
 * RULES_CPU_SIDES=rules measures one side only (for a profiler attached after the line
 * `measuring`); RULES_CPU_SETUP_SQL runs a file of statements after the seed; RULES_CPU_SKEWED
 * keeps the seed's statistics (one member's transfers) instead of analyzing after the warm-up.
 * RULES_CPU_SIDES=untiered adds BPT (no ladder, no rules): with 'plain', the tiers' own cost.
 * RULES_CPU_VARIANT_OF=plain runs the variant in BTR (tiers without rules) instead of BRU,
 * =untiered in BPT.
 */
async function main(): Promise<void> {
  const earns = Number(process.argv[2] ?? 2000);
  const rounds = Number(process.argv[3] ?? 5);
  const concurrency = Number(process.argv[4] ?? 10);
  const members = 10_000;
  const server = await openBenchServer({
    databaseUrl: process.env.DATABASE_URL,
    prefix: 'rulescpu',
    log: (line) => console.error(line),
  });
  try {
    const url = await server.recreateDatabase('profile');
    await seedBenchData(url, members);
    await seedTieredProgram(url, members, tieredCurrency);
    await seedTieredProgram(url, members, rulesCurrency);
    await seedRules(url);
    const admin = new pg.Client(url);
    await admin.connect();
    const current = (
      await admin.query<{ d: string }>(
        `select pg_get_functiondef(p.oid) as d from pg_proc p where p.proname = 'ledger_earn_batch'`,
      )
    ).rows;
    if (current.length !== 1) throw new Error('one ledger_earn_batch expected');
    const currentSql = current[0]!.d;
    const variantFile = process.env.EARN_RULES_SQL;
    const variantSql = variantFile ? readFileSync(variantFile, 'utf8') : null;
    // RULES_CPU_SETUP_SQL: a file of statements run after the seed (a table setting, an index),
    // for an experiment on the whole run.
    if (process.env.RULES_CPU_SETUP_SQL) {
      await admin.query(readFileSync(process.env.RULES_CPU_SETUP_SQL, 'utf8'));
    }
    await admin.query('vacuum (freeze, analyze)');
    const app = await createApp({ databaseUrl: url, migrate: false });
    const spread = spreadAwards(app, members, 'RCPU', benchBasket);
    const run = (count: number, currency: string) => spread(count, currency, concurrency);
    // RULES_CPU_SIDES=rules (a comma-separated list) measures only those, for a profiler.
    const only = process.env.RULES_CPU_SIDES?.split(',');
    const variantOf = process.env.RULES_CPU_VARIANT_OF;
    const variantCurrency =
      variantOf === 'plain' ? tieredCurrency : variantOf === 'untiered' ? earnCurrency : undefined;
    const sides: { name: string; currency: string; sql: string | null }[] = [
      // With a variant, every other side restores the current function before its window.
      { name: 'plain', currency: tieredCurrency, sql: variantSql ? currentSql : null },
      // The tiers' own cost (earn_tiers_vs_plain): BPT has no ladder. Only when asked for.
      ...(only?.includes('untiered')
        ? [{ name: 'untiered', currency: earnCurrency, sql: variantSql ? currentSql : null }]
        : []),
      { name: 'rules', currency: rulesCurrency, sql: currentSql },
      // RULES_CPU_VARIANT_OF=plain: the variant earns in the tiered program without rules.
      ...(variantSql
        ? [
            {
              name: 'variant',
              currency: variantCurrency ?? rulesCurrency,
              sql: variantSql,
            },
          ]
        : []),
    ].filter((side) => !only || only.includes(side.name));
    const measured: Record<string, { database: number[]; process: number[] }> = {};
    try {
      await run(1000, tieredCurrency);
      await run(1000, rulesCurrency);
      if (only?.includes('untiered') || variantCurrency === earnCurrency) {
        await run(1000, earnCurrency);
      }
      // Statistics of the warmed-up tables: the seed's transfers are one member's, which is
      // what a generic plan sees otherwise. RULES_CPU_SKEWED=1 keeps those statistics: before
      // migrations/0082 the batch's history probes then scanned every transfer.
      if (!process.env.RULES_CPU_SKEWED) await admin.query('analyze');
      console.log('measuring');
      for (let round = 0; round < rounds; round++) {
        const order = [
          ...sides.slice(round % sides.length),
          ...sides.slice(0, round % sides.length),
        ];
        for (const side of order) {
          if (side.sql) await admin.query(side.sql);
          const before = await databaseUsage(url);
          const cpuBefore = process.cpuUsage();
          await run(earns, side.currency);
          const cpu = process.cpuUsage(cpuBefore);
          const after = await databaseUsage(url);
          const used = before && after ? usedBetween(before, after).cpuSeconds : Number.NaN;
          const entry = measured[side.name] ?? { database: [], process: [] };
          measured[side.name] = entry;
          entry.database.push((used * 1_000) / earns);
          entry.process.push((cpu.user + cpu.system) / 1_000 / earns);
          console.log(
            `round ${round + 1} ${side.name}: database ${((used * 1_000) / earns).toFixed(3)} ms/earn, process ${((cpu.user + cpu.system) / 1_000 / earns).toFixed(3)} ms/earn`,
          );
        }
      }
    } finally {
      await app.close();
      await admin.query(currentSql);
      await admin.end();
    }
    const median = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)]!;
    };
    for (const [name, { database, process: gateway }] of Object.entries(measured)) {
      console.log(
        `${name}: database ${median(database).toFixed(3)} ms/earn (${Math.min(...database).toFixed(3)}-${Math.max(...database).toFixed(3)}), process ${median(gateway).toFixed(3)} ms/earn (${Math.min(...gateway).toFixed(3)}-${Math.max(...gateway).toFixed(3)})`,
      );
    }
    if (process.env.RULES_CPU_HOLD) {
      // Keeps the server up for a look with psql or auto_explain, until SIGINT or SIGTERM.
      console.log(`holding ${url}`);
      await new Promise((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
  } finally {
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
