import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { benchMemberId } from '../bench-data';
import { graphqlTarget } from '../context';
import { type Experiment, failed } from '../figure';
import { sendOnce } from '../load-generator';
import { jsonHeaders, walletQuery } from '../requests';
import { loadWalletHistories } from '../wallet-histories';
import { compareWithBare, connectionHeaders, walletProblem } from './read-vs-bare-http';

const figure = 'read_uncached_vs_bare_http';
/** Token signatures at once while preparing the load (ECDSA in this process). */
const tokensPerBatch = 500;

/**
 * read_uncached_vs_bare_http: the wallet query (3 balances, 20 history entries) as members'
 * apps send it when nothing can be reused: each request is the next of the run's members in
 * turn (each with its own token, its own three accounts and 21 earns: wallet-histories.ts) and
 * carries a nonce variable, so no body has been seen before and the member response cache
 * never answers. Against the bare node:http server answering one member's body with the same
 * headers, same requests, side by side. The gateway has its own database (a copy of the seeded
 * coalition plus the histories), started for this figure and stopped after it. With
 * BENCH_BASELINE_GATEWAY (the main.js of another build, e.g. a copy of dist/ before a change)
 * that build runs beside it on the same database as a third side (details.gatewayOverBaseline).
 */
export const readUncachedVsBareHttp: Experiment = {
  figures: [figure],
  async run(context) {
    const members = context.options.members;
    const url = await context.seededDatabase('reads');
    context.log(`loading wallet histories: ${members.toLocaleString('en')} members`);
    const loaded = await loadWalletHistories(url, members);
    context.log(
      `  ${loaded.transfers.toLocaleString('en')} transfers in ${loaded.seconds.toFixed(1)} s`,
    );
    const tokens = await memberTokens(context, members);
    const gateway = await context.startGateway(url, 'reads');
    // Another build of the gateway beside this one, for a before/after in one run.
    const baseline = await context.startBaselineGateway(url, 'reads-baseline');
    try {
      const headersOf = tokens.map((token) => ({
        ...jsonHeaders,
        authorization: `Bearer ${token}`,
      }));
      const reference = await sendOnce(
        graphqlTarget(gateway),
        headersOf[0]!,
        JSON.stringify({ query: walletQuery }),
      );
      const problem = walletProblem(reference.status, reference.body);
      if (problem) return [failed(figure, `reference wallet answer: ${problem}`)];
      const bodyFile = join(context.options.dataDir, 'wallet-uncached-response.json');
      await writeFile(bodyFile, reference.body);
      const bare = await context.startBareHttp(
        bodyFile,
        Object.fromEntries(
          Object.entries(reference.headers).filter(([name]) => !connectionHeaders.has(name)),
        ),
      );
      // Every member in turn, every body new: a counter over all loads of this figure.
      let sent = 0;
      const load = {
        request: () => {
          const member = sent % members;
          return {
            headers: headersOf[member]!,
            body: JSON.stringify({ query: walletQuery, variables: { nonce: sent++ } }),
          };
        },
        // Members' answers differ in ids and amounts, not in shape: an error never counts.
        succeeded: (status: number, answer: Buffer) =>
          status === 200 &&
          answer.length > reference.body.length / 2 &&
          !answer.includes('"errors"'),
      };
      try {
        return [
          await compareWithBare(
            context,
            figure,
            { gateway, bare, baseline },
            load,
            reference.body.length,
            {
              members,
              historyTransfers: loaded.transfers,
              historyLoadSeconds: Number(loaded.seconds.toFixed(1)),
            },
            url,
          ),
        ];
      } finally {
        await context.stopProcess(bare);
      }
    } finally {
      await context.stopProcess(gateway);
      if (baseline) await context.stopProcess(baseline);
    }
  },
};

async function memberTokens(
  context: Parameters<Experiment['run']>[0],
  members: number,
): Promise<string[]> {
  const tokens: string[] = [];
  for (let first = 0; first < members; first += tokensPerBatch) {
    const batch = Array.from({ length: Math.min(tokensPerBatch, members - first) }, (_, index) =>
      context.keys.issuer.issue({ kind: 'member', subject: benchMemberId(first + index) }),
    );
    tokens.push(...(await Promise.all(batch)));
  }
  return tokens;
}
