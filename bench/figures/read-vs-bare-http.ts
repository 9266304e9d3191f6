import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { walletMemberId } from '../bench-data';
import { type BenchContext, graphqlTarget, type MeasuredLoad } from '../context';
import { databaseUsage, usedBetween } from '../database-cpu';
import { type Experiment, type FigureResult, failed, measured, spreadOver } from '../figure';
import { sendOnce } from '../load-generator';
import { jsonHeaders, walletQuery } from '../requests';
import type { ServerProcess } from '../server-process';
import { anyEmptyWindow, perRunRatios, sideBySide } from '../side-by-side';

/** Headers the bare server must not copy: they describe the connection, not the answer. */
export const connectionHeaders = new Set([
  'date',
  'connection',
  'keep-alive',
  'content-length',
  'transfer-encoding',
]);
/** Client CPU per request above this share of the bare server's: the client may be the limit. */
const clientLimitShare = 0.8;
const walletBalances = 3;
const walletEntries = 20;

/**
 * read_vs_bare_http: the member's wallet query through the gateway against a bare node:http
 * process answering the byte-identical body with the same headers; same client, same
 * concurrency, side by side in each run. An answer counts when it has status 200 and the
 * reference's length (so an error never counts).
 */
export const readVsBareHttp: Experiment = {
  figures: ['read_vs_bare_http'],
  async run(context) {
    const gateway = await context.ledgerGateway();
    const token = await context.keys.issuer.issue({ kind: 'member', subject: walletMemberId });
    const headers = { ...jsonHeaders, authorization: `Bearer ${token}` };
    const body = JSON.stringify({ query: walletQuery });
    const reference = await sendOnce(graphqlTarget(gateway), headers, body);
    const problem = walletProblem(reference.status, reference.body);
    if (problem) return [failed('read_vs_bare_http', `reference wallet answer: ${problem}`)];

    const bodyFile = join(context.options.dataDir, 'wallet-response.json');
    await writeFile(bodyFile, reference.body);
    const bare = await context.startBareHttp(
      bodyFile,
      Object.fromEntries(
        Object.entries(reference.headers).filter(([name]) => !connectionHeaders.has(name)),
      ),
    );
    // Another build of the gateway beside the shared one, for a before/after in one run.
    const baseline = await context.startBaselineGateway(
      await context.ledgerDatabase(),
      'ledger-baseline',
    );
    try {
      const load = {
        request: () => ({ body, headers }),
        succeeded: (status: number, answer: Buffer) =>
          status === 200 && answer.length === reference.body.length,
      };
      return [
        await compareWithBare(
          context,
          'read_vs_bare_http',
          { gateway, bare, baseline },
          load,
          reference.body.length,
        ),
      ];
    } finally {
      await context.stopProcess(bare);
      if (baseline) await context.stopProcess(baseline);
    }
  },
};

/**
 * A read through the gateway against the bare server answering its reference body, same
 * requests, side by side; the figure is gateway req/s ÷ bare req/s per run. With a `baseline`
 * (another build of the gateway on the same database, BENCH_BASELINE_GATEWAY) it is measured
 * as a third side, for a before/after in one run: its figures go into details.
 */
export async function compareWithBare(
  context: BenchContext,
  name: 'read_vs_bare_http' | 'read_uncached_vs_bare_http',
  servers: { gateway: ServerProcess; bare: ServerProcess; baseline?: ServerProcess },
  load: Parameters<BenchContext['load']>[1],
  responseBytes: number,
  moreDetails: Record<string, unknown> = {},
  /** The gateways' database, for its backends' CPU per read (database-cpu.ts). */
  databaseUrl?: string,
): Promise<FigureResult> {
  context.log(`warming up (${context.options.warmupSeconds} s each)`);
  await context.warmUp(servers.gateway, load);
  await context.warmUp(servers.bare, load);
  if (servers.baseline) await context.warmUp(servers.baseline, load);
  const sides = servers.baseline
    ? (['gateway', 'bare', 'baseline'] as const)
    : (['gateway', 'bare'] as const);
  const databaseCpuMs: Record<string, number[]> = { gateway: [], baseline: [] };
  const databaseStatements: Record<string, number[]> = { gateway: [], baseline: [] };
  const measure = async (side: 'gateway' | 'bare' | 'baseline') => {
    const watched = databaseUrl !== undefined && side !== 'bare';
    const before = watched ? await databaseUsage(databaseUrl) : undefined;
    const result = await context.load(servers[side] as ServerProcess, load);
    const after = watched ? await databaseUsage(databaseUrl) : undefined;
    if (before && after) {
      const answered = Math.max(result.answered, 1);
      const used = usedBetween(before, after);
      databaseCpuMs[side]!.push((used.cpuSeconds * 1_000) / answered);
      databaseStatements[side]!.push(used.transactions / answered);
    }
    return result;
  };
  const results = await sideBySide<'gateway' | 'bare' | 'baseline'>(context, sides, measure);
  const baseline = results.baseline ?? [];
  const details = {
    gatewayRequestsPerSecond: spreadOver(results.gateway, (run) => run.ratePerSecond),
    bareRequestsPerSecond: spreadOver(results.bare, (run) => run.ratePerSecond),
    gatewayP50Ms: spreadOver(results.gateway, (run) => run.p50Ms),
    bareP50Ms: spreadOver(results.bare, (run) => run.p50Ms),
    gatewayCpuMsPerRequest: spreadOver(results.gateway, (run) => run.serverCpuMsPerRequest),
    bareCpuMsPerRequest: spreadOver(results.bare, (run) => run.serverCpuMsPerRequest),
    clientCpuMsPerBareRequest: spreadOver(results.bare, (run) => run.clientCpuMsPerRequest),
    responseBytes,
    ...moreDetails,
    ...(databaseCpuMs.gateway!.length > 0
      ? {
          databaseCpuMsPerGatewayRequest: spreadOver(databaseCpuMs.gateway!, (ms) => ms),
          databaseStatementsPerGatewayRequest: spreadOver(databaseStatements.gateway!, (n) => n),
        }
      : {}),
    ...(databaseCpuMs.baseline!.length > 0
      ? {
          databaseCpuMsPerBaselineRequest: spreadOver(databaseCpuMs.baseline!, (ms) => ms),
          databaseStatementsPerBaselineRequest: spreadOver(databaseStatements.baseline!, (n) => n),
        }
      : {}),
    ...(baseline.length > 0
      ? {
          baselineRequestsPerSecond: spreadOver(baseline, (run) => run.ratePerSecond),
          baselineP50Ms: spreadOver(baseline, (run) => run.p50Ms),
          baselineCpuMsPerRequest: spreadOver(baseline, (run) => run.serverCpuMsPerRequest),
          baselineOverBare: spreadOver(
            perRunRatios(baseline, results.bare, (run) => run.ratePerSecond),
            (ratio) => ratio,
          ),
          gatewayOverBaseline: spreadOver(
            perRunRatios(results.gateway, baseline, (run) => run.ratePerSecond),
            (ratio) => ratio,
          ),
        }
      : {}),
    failedRequests: [...results.gateway, ...results.bare, ...baseline].reduce(
      (sum, run) => sum + run.failures,
      0,
    ),
  };
  if (anyEmptyWindow(results as Record<string, MeasuredLoad[]>))
    return failed(name, 'a window completed no read', details);
  const notes =
    details.clientCpuMsPerBareRequest.median >=
    clientLimitShare * details.bareCpuMsPerRequest.median
      ? [
          'the load generator spent nearly as much CPU per request as the bare server: on this machine it may limit the baseline, which flatters the ratio',
        ]
      : [];
  return measured(
    name,
    perRunRatios(results.gateway, results.bare, (run) => run.ratePerSecond),
    details,
    notes,
    `gateway ${details.gatewayRequestsPerSecond.median} req/s (p50 ${details.gatewayP50Ms.median} ms, ${details.gatewayCpuMsPerRequest.median} ms CPU) vs bare ${details.bareRequestsPerSecond.median} req/s (${details.bareCpuMsPerRequest.median} ms CPU; client ${details.clientCpuMsPerBareRequest.median} ms CPU); ${responseBytes} bytes`,
  );
}

/** Why a wallet answer is not the 3 balances and 20 entries asked for, if it is not. */
export function walletProblem(status: number, body: Buffer): string | undefined {
  if (status !== 200) return `HTTP ${status}: ${body.toString('utf8').slice(0, 300)}`;
  const parsed = JSON.parse(body.toString('utf8')) as {
    data?: { wallet?: { balances: unknown[]; history: { entries: unknown[] } } };
    errors?: unknown[];
  };
  if (parsed.errors) return `errors: ${JSON.stringify(parsed.errors).slice(0, 300)}`;
  const wallet = parsed.data?.wallet;
  if (wallet?.balances.length !== walletBalances) return 'expected 3 balances';
  if (wallet.history.entries.length !== walletEntries) return 'expected 20 history entries';
  return undefined;
}
