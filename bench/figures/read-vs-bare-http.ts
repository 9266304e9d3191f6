import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { walletMemberId } from '../bench-data';
import { graphqlTarget, type MeasuredLoad } from '../context';
import { type Experiment, failed, measured, spreadOver } from '../figure';
import { sendOnce } from '../load-generator';
import { jsonHeaders, walletQuery } from '../requests';
import { rounded } from '../summary';

/** Headers the bare server must not copy: they describe the connection, not the answer. */
const connectionHeaders = new Set([
  'date',
  'connection',
  'keep-alive',
  'content-length',
  'transfer-encoding',
]);
const walletBalances = 3;
const walletEntries = 20;

/**
 * read_vs_bare_http: the member's wallet query through the gateway against a bare node:http
 * process answering the byte-identical body with the same headers; same client, same
 * concurrency, alternating within each run. An answer counts when it has status 200 and the
 * reference's length (so an error never counts).
 */
export const readVsBareHttp: Experiment = {
  figures: ['read_vs_bare_http'],
  async run(context) {
    const options = context.options;
    const gateway = await context.ledgerGateway();
    const token = await context.keys.issuer.issue({ kind: 'member', subject: walletMemberId });
    const headers = { ...jsonHeaders, authorization: `Bearer ${token}` };
    const body = JSON.stringify({ query: walletQuery });
    const reference = await sendOnce(graphqlTarget(gateway), headers, body);
    const problem = walletProblem(reference.status, reference.body);
    if (problem) return [failed('read_vs_bare_http', `reference wallet answer: ${problem}`)];

    const bodyFile = join(options.dataDir, 'wallet-response.json');
    await writeFile(bodyFile, reference.body);
    const bareHeaders = Object.fromEntries(
      Object.entries(reference.headers).filter(([name]) => !connectionHeaders.has(name)),
    );
    const bare = await context.startBareHttp(bodyFile, bareHeaders);
    try {
      const load = {
        request: () => ({ body, headers }),
        succeeded: (status: number, answer: Buffer) =>
          status === 200 && answer.length === reference.body.length,
      };
      context.log(`warming up (${options.warmupSeconds} s each)`);
      await context.warmUp(gateway, load);
      await context.warmUp(bare, load);
      const results = { gateway: [] as MeasuredLoad[], bare: [] as MeasuredLoad[] };
      const servers = { gateway, bare };
      for (let run = 0; run < options.runs; run++) {
        const order =
          run % 2 === 0 ? (['gateway', 'bare'] as const) : (['bare', 'gateway'] as const);
        for (const kind of order) {
          const result = await context.load(servers[kind], load);
          results[kind].push(result);
          context.log(
            `run ${run + 1}/${options.runs} ${kind}: ${result.ratePerSecond.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, ${result.failures} failed`,
          );
        }
      }
      const details = {
        gatewayRequestsPerSecond: spreadOver(results.gateway, (run) => run.ratePerSecond),
        bareRequestsPerSecond: spreadOver(results.bare, (run) => run.ratePerSecond),
        gatewayP50Ms: spreadOver(results.gateway, (run) => run.p50Ms),
        bareP50Ms: spreadOver(results.bare, (run) => run.p50Ms),
        gatewayCpuMsPerRequest: spreadOver(results.gateway, (run) => run.serverCpuMsPerRequest),
        bareCpuMsPerRequest: spreadOver(results.bare, (run) => run.serverCpuMsPerRequest),
        clientCpuMsPerBareRequest: spreadOver(results.bare, (run) => run.clientCpuMsPerRequest),
        responseBytes: reference.body.length,
        failedRequests: [...results.gateway, ...results.bare].reduce((s, r) => s + r.failures, 0),
      };
      if ([...results.gateway, ...results.bare].some((run) => run.successes === 0)) {
        return [failed('read_vs_bare_http', 'a window completed no read', details)];
      }
      return [
        {
          ...measured(
            'read_vs_bare_http',
            results.gateway.map((run, index) =>
              rounded(run.ratePerSecond / results.bare[index]!.ratePerSecond),
            ),
            details,
            [
              'one Node client process drives both servers; against the bare server the client itself may be the limit (compare clientCpuMsPerBareRequest with bareCpuMsPerRequest), which flatters the ratio',
            ],
          ),
          summary: `gateway ${details.gatewayRequestsPerSecond.median} req/s (p50 ${details.gatewayP50Ms.median} ms, ${details.gatewayCpuMsPerRequest.median} ms CPU) vs bare ${details.bareRequestsPerSecond.median} req/s (${details.bareCpuMsPerRequest.median} ms CPU; client ${details.clientCpuMsPerBareRequest.median} ms CPU); ${details.responseBytes} bytes`,
        },
      ];
    } finally {
      await context.stopProcess(bare);
    }
  },
};

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
