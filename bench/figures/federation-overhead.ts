import { rewardsPartner, walletMemberId } from '../bench-data';
import { type BenchContext, graphqlTarget, type MeasuredLoad } from '../context';
import { databaseUsage, usedBetween } from '../database-cpu';
import { type Experiment, failed, measured, spreadOver } from '../figure';
import { sendOnce } from '../load-generator';
import { jsonHeaders, walletQuery } from '../requests';
import type { ServerProcess } from '../server-process';
import { anyEmptyWindow, perRunRatios, sideBySide } from '../side-by-side';
import { walletProblem } from './read-vs-bare-http';

/** Nordic Hotels' reward catalogue (partners/hotel/fixtures.ts). */
const rewardCount = 3;

/**
 * What a member's app sends for its home screen: the wallet (3 balances, 20 history entries)
 * plus Nordic Hotels' rewards, served by Nordic's own subgraph, each with whether the member
 * can afford it (the coalition's `PointsPrice.affordability`, fetched through `_entities`).
 */
export const federatedWalletQuery = walletQuery.replace(
  /\}\s*$/,
  `  nordicHotelRewards {
    id hotel city nights roomsLeft
    price { currency points affordability { affordable currency availablePoints shortfallPoints } }
  }
}`,
);

const registerMutation = `mutation Register($input: RegisterPartnerServiceInput!) {
  registerPartnerService(input: $input) {
    __typename
    ... on ErrorResult { code message }
  }
}`;

/**
 * federation_overhead: p50 of the federated read ÷ p50 of the coalition-only wallet query, side
 * by side in each run, on the shared gateway, as a member's app sends them again and again: both
 * are answered from the member response cache (Nordic's catalogue allows reuse for 10 s). As a
 * reference in details, the same two reads when no member answer may be reused (a body never
 * seen before: an unused variable), so the whole path runs: planner, ledger, and the partner's
 * catalogue, which is public (the same whoever asks), so the gateway's shared copy of Nordic's
 * answer serves it for its 10 s (partnerCpuMsPerUncachedFederated shows the calls). Nordic Hotels'
 * subgraph runs in its own process (`npm run partner`) and is onboarded as an operator would
 * (`registerPartnerService`: the gateway fetches its SDL and keys and recomposes the
 * supergraph); it is stopped afterwards. With BENCH_BASELINE_GATEWAY (the main.js of another
 * build) that build runs beside it on the same database, learns the partner from the shared
 * registry, and its two uncached reads are measured as further sides
 * (details.baselineUncached*).
 */
export const federationOverhead: Experiment = {
  figures: ['federation_overhead'],
  async run(context) {
    const gateway = await context.ledgerGateway();
    const partner = await context.startPartnerService(rewardsPartner.id, gateway);
    try {
      const problem = await register(context, gateway, partner);
      if (problem) return [failed('federation_overhead', `registering the partner: ${problem}`)];
      const baseline = await context.startBaselineGateway(
        await context.ledgerDatabase(),
        'ledger-baseline',
      );
      try {
        return await measure(context, gateway, partner, baseline);
      } finally {
        if (baseline) await context.stopProcess(baseline);
      }
    } finally {
      await context.stopProcess(partner);
    }
  },
};

const registerAttemptsMax = 5;

async function register(
  context: BenchContext,
  gateway: ServerProcess,
  partner: ServerProcess,
): Promise<string | undefined> {
  const token = await context.keys.issuer.issue({ kind: 'operator', subject: 'bench' });
  const input = {
    partnerId: rewardsPartner.id,
    url: `http://${partner.host}:${partner.port}/graphql`,
  };
  const send = () =>
    sendOnce(
      graphqlTarget(gateway),
      { ...jsonHeaders, authorization: `Bearer ${token}` },
      JSON.stringify({ query: registerMutation, variables: { input } }),
    );
  // A busy machine may answer 503 (deadline, admission): retryable, the same request again.
  let answer = await send();
  for (let attempt = 1; answer.status === 503 && attempt < registerAttemptsMax; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 1_000 * attempt));
    answer = await send();
  }
  const text = answer.body.toString('utf8');
  const parsed = JSON.parse(text) as {
    data?: { registerPartnerService?: { __typename: string } };
  };
  return parsed.data?.registerPartnerService?.__typename === 'PartnerService'
    ? undefined
    : `HTTP ${answer.status}: ${text.slice(0, 300)}`;
}

async function measure(
  context: BenchContext,
  gateway: ServerProcess,
  partner: ServerProcess,
  baseline: ServerProcess | undefined,
) {
  const token = await context.keys.issuer.issue({ kind: 'member', subject: walletMemberId });
  const headers = { ...jsonHeaders, authorization: `Bearer ${token}` };
  const bodies = {
    federated: JSON.stringify({ query: federatedWalletQuery }),
    coalition: JSON.stringify({ query: walletQuery }),
  };
  const federated = await sendOnce(graphqlTarget(gateway), headers, bodies.federated);
  const coalition = await sendOnce(graphqlTarget(gateway), headers, bodies.coalition);
  const problem =
    federatedProblem(federated.status, federated.body) ??
    walletProblem(coalition.status, coalition.body);
  if (problem) return [failed('federation_overhead', `reference answers: ${problem}`)];
  let sent = 0;
  const loads = {
    federated: { request: () => ({ body: bodies.federated, headers }), succeeded: isCleanAnswer },
    coalition: { request: () => ({ body: bodies.coalition, headers }), succeeded: isCleanAnswer },
    // The same reads with a body never seen before (an unused variable): nothing is reused.
    uncachedFederated: {
      request: () => ({
        body: JSON.stringify({ query: federatedWalletQuery, variables: { nonce: sent++ } }),
        headers,
      }),
      succeeded: isCleanAnswer,
    },
    uncachedWallet: {
      request: () => ({
        body: JSON.stringify({ query: walletQuery, variables: { nonce: sent++ } }),
        headers,
      }),
      succeeded: isCleanAnswer,
    },
  };
  for (const load of Object.values(loads)) await context.warmUp(gateway, load);
  if (baseline) {
    const answer = await sendOnce(graphqlTarget(baseline), headers, bodies.federated);
    const baselineProblem = federatedProblem(answer.status, answer.body);
    if (baselineProblem) return [failed('federation_overhead', `baseline: ${baselineProblem}`)];
    await context.warmUp(baseline, loads.uncachedFederated);
    await context.warmUp(baseline, loads.uncachedWallet);
  }
  const partnerCpuMsPerRequest: number[] = [];
  const partnerCpuMsPerUncachedRequest: number[] = [];
  const ownSides = ['federated', 'coalition', 'uncachedFederated', 'uncachedWallet'] as const;
  const baselineSides = ['baselineUncachedFederated', 'baselineUncachedWallet'] as const;
  const sides = baseline ? [...ownSides, ...baselineSides] : ownSides;
  const serverOf = (side: (typeof sides)[number]) =>
    side.startsWith('baseline') && baseline ? baseline : gateway;
  const loadOf = (side: (typeof sides)[number]) =>
    side === 'baselineUncachedFederated'
      ? loads.uncachedFederated
      : side === 'baselineUncachedWallet'
        ? loads.uncachedWallet
        : loads[side as (typeof ownSides)[number]];
  const databaseUrl = await context.ledgerDatabase();
  const statementsPerRead: Record<string, number[]> = { uncachedFederated: [], uncachedWallet: [] };
  const results = await sideBySide(context, sides as typeof ownSides, async (side) => {
    const before = await partner.cpuSeconds();
    const watched = side in statementsPerRead;
    const usageBefore = watched ? await databaseUsage(databaseUrl) : undefined;
    const result: MeasuredLoad = await context.load(serverOf(side), loadOf(side));
    const usageAfter = watched ? await databaseUsage(databaseUrl) : undefined;
    if (usageBefore && usageAfter) {
      statementsPerRead[side]!.push(
        usedBetween(usageBefore, usageAfter).transactions / Math.max(result.answered, 1),
      );
    }
    const partnerMsPerRequest =
      (((await partner.cpuSeconds()) - before) * 1_000) / Math.max(result.answered, 1);
    if (side === 'federated') partnerCpuMsPerRequest.push(partnerMsPerRequest);
    if (side === 'uncachedFederated') partnerCpuMsPerUncachedRequest.push(partnerMsPerRequest);
    return result;
  });
  const details = {
    partnerId: rewardsPartner.id,
    federatedP50Ms: spreadOver(results.federated, (run) => run.p50Ms),
    coalitionP50Ms: spreadOver(results.coalition, (run) => run.p50Ms),
    federatedP99Ms: spreadOver(results.federated, (run) => run.p99Ms),
    coalitionP99Ms: spreadOver(results.coalition, (run) => run.p99Ms),
    federatedRequestsPerSecond: spreadOver(results.federated, (run) => run.ratePerSecond),
    coalitionRequestsPerSecond: spreadOver(results.coalition, (run) => run.ratePerSecond),
    gatewayCpuMsPerFederatedRequest: spreadOver(
      results.federated,
      (run) => run.serverCpuMsPerRequest,
    ),
    partnerCpuMsPerFederatedRequest: spreadOver(partnerCpuMsPerRequest, (value) => value),
    gatewayCpuMsPerCoalitionRequest: spreadOver(
      results.coalition,
      (run) => run.serverCpuMsPerRequest,
    ),
    uncachedFederatedP50Ms: spreadOver(results.uncachedFederated, (run) => run.p50Ms),
    gatewayCpuMsPerUncachedFederated: spreadOver(
      results.uncachedFederated,
      (run) => run.serverCpuMsPerRequest,
    ),
    partnerCpuMsPerUncachedFederated: spreadOver(partnerCpuMsPerUncachedRequest, (value) => value),
    uncachedWalletP50Ms: spreadOver(results.uncachedWallet, (run) => run.p50Ms),
    gatewayCpuMsPerUncachedWallet: spreadOver(
      results.uncachedWallet,
      (run) => run.serverCpuMsPerRequest,
    ),
    ...(statementsPerRead.uncachedFederated!.length > 0 &&
    statementsPerRead.uncachedWallet!.length > 0
      ? {
          databaseStatementsPerUncachedFederated: spreadOver(
            statementsPerRead.uncachedFederated!,
            (n) => n,
          ),
          databaseStatementsPerUncachedWallet: spreadOver(
            statementsPerRead.uncachedWallet!,
            (n) => n,
          ),
        }
      : {}),
    uncachedFederatedOverUncachedWallet: spreadOver(
      perRunRatios(results.uncachedFederated, results.uncachedWallet, (run) => run.p50Ms),
      (ratio) => ratio,
    ),
    ...baselineDetails(results as Record<string, MeasuredLoad[]>),
    clientCpuMsPerFederatedRequest: spreadOver(
      results.federated,
      (run) => run.clientCpuMsPerRequest,
    ),
    failedRequests: Object.values(results)
      .flat()
      .reduce((sum, run) => sum + run.failures, 0),
  };
  if (anyEmptyWindow(results)) {
    return [failed('federation_overhead', 'a window completed no read', details)];
  }
  return [
    measured(
      'federation_overhead',
      perRunRatios(results.federated, results.coalition, (run) => run.p50Ms),
      details,
      [
        `both reads are member response cache hits (the partner allows reuse for 10 s); with no member answer reused (Nordic's public catalogue shared), federated ÷ wallet p50 is ${details.uncachedFederatedOverUncachedWallet.median} (${details.uncachedFederatedP50Ms.median} ms vs ${details.uncachedWalletP50Ms.median} ms)`,
      ],
      `p50 ${details.federatedP50Ms.median} ms with ${rewardsPartner.name}' rewards (CPU ${details.gatewayCpuMsPerFederatedRequest.median} ms gateway + ${details.partnerCpuMsPerFederatedRequest.median} ms partner) vs ${details.coalitionP50Ms.median} ms for the wallet alone (${details.gatewayCpuMsPerCoalitionRequest.median} ms)`,
    ),
  ];
}

/** The baseline build's uncached reads, when it ran (BENCH_BASELINE_GATEWAY). */
function baselineDetails(results: Record<string, MeasuredLoad[]>) {
  const federated = results.baselineUncachedFederated;
  const wallet = results.baselineUncachedWallet;
  if (!federated?.length || !wallet?.length) return {};
  return {
    baselineUncachedFederatedP50Ms: spreadOver(federated, (run) => run.p50Ms),
    baselineGatewayCpuMsPerUncachedFederated: spreadOver(
      federated,
      (run) => run.serverCpuMsPerRequest,
    ),
    baselineUncachedWalletP50Ms: spreadOver(wallet, (run) => run.p50Ms),
    baselineGatewayCpuMsPerUncachedWallet: spreadOver(wallet, (run) => run.serverCpuMsPerRequest),
    baselineUncachedFederatedOverUncachedWallet: spreadOver(
      perRunRatios(federated, wallet, (run) => run.p50Ms),
      (ratio) => ratio,
    ),
  };
}

/** Why the federated answer is not the wallet plus every reward with its affordability. */
function federatedProblem(status: number, body: Buffer): string | undefined {
  const walletIssue = walletProblem(status, body);
  if (walletIssue) return walletIssue;
  const parsed = JSON.parse(body.toString('utf8')) as {
    data: { nordicHotelRewards?: { price: { affordability: unknown } }[] | null };
  };
  const rewards = parsed.data.nordicHotelRewards;
  if (rewards?.length !== rewardCount) return `expected ${rewardCount} rewards`;
  if (rewards.some((reward) => !reward.price.affordability)) return 'a reward has no affordability';
  return undefined;
}

function isCleanAnswer(status: number, body: Buffer): boolean {
  return status === 200 && !body.includes('"errors"');
}
