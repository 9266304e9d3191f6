import { createReadStream, createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { type App, createApp } from '../app';
import { loadConfig } from '../config';
import {
  type DatabaseServer,
  defaultDatabaseName,
  openDatabaseServer,
  withDatabase,
} from '../db/database';
import { DomainError } from '../shared/errors';
import type { SettlementTable } from './exports';
import { recordsFromCsvStream } from './reconciliation-records';

/**
 * `npm run -s settlement -- <command> [options]`: the finance team's tools, acting as the
 * operator. Uses DATABASE_URL, or the embedded database of `npm start` (joining it when the
 * gateway is running). Tables and statements go to stdout or --out; progress to stderr.
 *
 *   periods                                      list periods
 *   open-period --end ISO [--start ISO]          open the next period
 *   close --period ID                            close a period (prints progress)
 *   statement --period ID --partner ID [--out F] a partner's statement as CSV (streamed)
 *   positions|payments|gross|bilateral --period ID [--out F]
 *   reconcile --period ID --partner ID --file F  match a partner's CSV records
 */
const usage = `usage: npm run -s settlement -- periods
       npm run -s settlement -- open-period --end 2026-12-01T00:00:00Z [--start ISO]
       npm run -s settlement -- close --period per_...
       npm run -s settlement -- statement --period per_... --partner ptr_... [--out file.csv]
       npm run -s settlement -- positions|payments|gross|bilateral --period per_... [--out file.csv]
       npm run -s settlement -- reconcile --period per_... --partner ptr_... --file records.csv`;

const tables: SettlementTable[] = ['positions', 'payments', 'gross', 'bilateral'];

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      period: { type: 'string' },
      partner: { type: 'string' },
      start: { type: 'string' },
      end: { type: 'string' },
      out: { type: 'string' },
      file: { type: 'string' },
    },
  });
  const command = positionals[0];
  if (!command) return fail(usage);
  const progress = (line: string) => console.error(`[settlement] ${line}`);
  const server = await openServer(progress);
  const app = await createApp({ databaseUrl: server.url });
  try {
    return await run(app, command, values, progress);
  } finally {
    await app.close();
    await server.stop();
  }
}

async function run(
  app: App,
  command: string,
  options: Record<string, string | undefined>,
  progress: (line: string) => void,
): Promise<number> {
  const ctx = app.systemContext('settlement-cli');
  const settlement = app.settlement;
  const period = () => options.period ?? missing('--period');
  switch (command) {
    case 'periods':
      return printPeriods(app);
    case 'open-period': {
      const opened = must(
        await settlement.openPeriod(ctx, {
          startsAt: options.start ? new Date(options.start) : null,
          endsAt: new Date(options.end ?? missing('--end')),
        }),
      );
      console.log(
        `${opened.id}  ${opened.startsAt.toISOString()} .. ${opened.endsAt.toISOString()}`,
      );
      return 0;
    }
    case 'close': {
      const closed = must(await settlement.closePeriod(ctx, period(), progress));
      console.log(
        `${closed.id} closed: ${closed.transferCount} transfers, ${closed.obligationCount} obligations`,
      );
      return 0;
    }
    case 'statement': {
      const chunks = must(
        await settlement.exportStatement(
          ctx,
          period(),
          options.partner ?? missing('--partner'),
          (lines) => progress(`${lines} statement lines written`),
        ),
      );
      await write(Readable.from(chunks), options.out);
      return 0;
    }
    case 'reconcile':
      return reconcile(app, period(), options.partner ?? missing('--partner'), options.file);
    default:
      if (!tables.includes(command as SettlementTable)) return fail(usage);
      await write(
        Readable.from([
          must(await settlement.settlementCsv(ctx, period(), command as SettlementTable)),
        ]),
        options.out,
      );
      return 0;
  }
}

async function printPeriods(app: App): Promise<number> {
  for (const p of must(await app.settlement.periods(app.systemContext('settlement-cli')))) {
    const summary =
      p.status === 'closed'
        ? `  ${p.transferCount} transfers, ${p.obligationCount} obligations`
        : '';
    console.log(
      `${p.id}  ${p.startsAt.toISOString()} .. ${p.endsAt.toISOString()}  ${p.status}${summary}`,
    );
  }
  return 0;
}

async function reconcile(
  app: App,
  periodId: string,
  partnerId: string,
  file: string | undefined,
): Promise<number> {
  const reconciliation = must(
    await app.settlement.submitReconciliationStream(app.systemContext('settlement-cli'), {
      periodId,
      partnerId,
      records: recordsFromCsvStream(createReadStream(file ?? missing('--file'))),
    }),
  );
  console.log(`${reconciliation.id}: ${reconciliation.recordCount} records`);
  for (const total of reconciliation.totals) {
    console.log(
      `  ${total.status.padEnd(22)} ${String(total.count).padStart(8)}  ours ${total.ourAmountMinor}  theirs ${total.theirAmountMinor} (${total.settlementCurrency} minor units)`,
    );
  }
  return 0;
}

/** DATABASE_URL, the running gateway's embedded server, or the embedded server started here. */
async function openServer(log: (line: string) => void): Promise<DatabaseServer> {
  const config = loadConfig();
  if (!config.databaseUrl) {
    const running = await runningEmbeddedPort(join(config.dataDir, 'postgres'));
    if (running) {
      const url = withDatabase(
        `postgres://postgres@127.0.0.1:${running}/postgres`,
        defaultDatabaseName,
      );
      return { url, embedded: false, stop: async () => undefined };
    }
  }
  return openDatabaseServer({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, log });
}

/** The port of an embedded server another process (the gateway) is running, if any. */
async function runningEmbeddedPort(dataDir: string): Promise<number | undefined> {
  try {
    const lines = (await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n');
    const pid = Number(lines[0]);
    process.kill(pid, 0);
    const port = Number(lines[3]);
    return Number.isInteger(port) && port > 0 ? port : undefined;
  } catch {
    return undefined;
  }
}

async function write(source: Readable, out: string | undefined): Promise<void> {
  if (out) await pipeline(source, createWriteStream(out));
  else for await (const chunk of source) process.stdout.write(chunk as string);
}

function must<Outcome>(outcome: Outcome): Exclude<Outcome, DomainError> {
  if (outcome instanceof DomainError) throw new CliError(`${outcome.code}: ${outcome.message}`);
  return outcome as Exclude<Outcome, DomainError>;
}

function missing(option: string): never {
  throw new CliError(`${option} is required\n${usage}`);
}

function fail(message: string): number {
  console.error(message);
  return 2;
}

class CliError extends Error {}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    console.error(error instanceof CliError ? error.message : error);
    process.exit(1);
  });
