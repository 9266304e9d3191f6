import { benchPartnerId, walletMemberId } from '../bench-data';
import { graphqlTarget } from '../context';
import { type Experiment, failed, measured, notAvailable, spreadOver } from '../figure';
import { sendOnce } from '../load-generator';
import { jsonHeaders, walletQuery } from '../requests';
import { anyEmptyWindow, perRunRatios, sideBySide } from '../side-by-side';
import { walletProblem } from './read-vs-bare-http';

/**
 * The federated read: the coalition wallet plus one partner's rewards, served by that partner's
 * own subgraph through the gateway. Federation (issue 5) is built on another branch: adapt this
 * document (and start the partner subgraph, if the gateway does not) when it lands.
 */
export const rewardsPartnerId = benchPartnerId(0);
export const federatedWalletQuery = walletQuery.replace(
  /\}\s*$/,
  `  partnerRewards(partnerId: "${rewardsPartnerId}") { __typename }\n}`,
);

/**
 * federation_overhead: p50 of the federated read ÷ p50 of the coalition-only wallet query, side
 * by side in each run. "Not available" while the gateway's schema has no partner rewards (it
 * answers the federated document with a validation error).
 */
export const federationOverhead: Experiment = {
  figures: ['federation_overhead'],
  async run(context) {
    const gateway = await context.ledgerGateway();
    const token = await context.keys.issuer.issue({ kind: 'member', subject: walletMemberId });
    const headers = { ...jsonHeaders, authorization: `Bearer ${token}` };
    const bodies = {
      federated: JSON.stringify({ query: federatedWalletQuery }),
      coalition: JSON.stringify({ query: walletQuery }),
    };
    const probe = await sendOnce(graphqlTarget(gateway), headers, bodies.federated);
    const parsed = JSON.parse(probe.body.toString('utf8')) as {
      errors?: { message: string; extensions?: { code?: string } }[];
    };
    if (parsed.errors?.some((error) => error.extensions?.code === 'GRAPHQL_VALIDATION_FAILED')) {
      return [
        notAvailable(
          'federation_overhead',
          'the gateway schema has no partner rewards (federation, issue 5, is not merged yet)',
          { probeError: parsed.errors[0]!.message },
        ),
      ];
    }
    const coalition = await sendOnce(graphqlTarget(gateway), headers, bodies.coalition);
    const coalitionProblem = walletProblem(coalition.status, coalition.body);
    if (probe.status !== 200 || parsed.errors || coalitionProblem) {
      const answer = probe.body.toString('utf8').slice(0, 300);
      return [
        failed('federation_overhead', `reference answers: ${answer} ${coalitionProblem ?? ''}`),
      ];
    }
    const loads = {
      federated: { request: () => ({ body: bodies.federated, headers }), succeeded: isCleanAnswer },
      coalition: { request: () => ({ body: bodies.coalition, headers }), succeeded: isCleanAnswer },
    };
    await context.warmUp(gateway, loads.federated);
    await context.warmUp(gateway, loads.coalition);
    const results = await sideBySide(context, ['federated', 'coalition'], (side) =>
      context.load(gateway, loads[side]),
    );
    const details = {
      federatedP50Ms: spreadOver(results.federated, (run) => run.p50Ms),
      coalitionP50Ms: spreadOver(results.coalition, (run) => run.p50Ms),
      federatedRequestsPerSecond: spreadOver(results.federated, (run) => run.ratePerSecond),
      coalitionRequestsPerSecond: spreadOver(results.coalition, (run) => run.ratePerSecond),
    };
    if (anyEmptyWindow(results)) {
      return [failed('federation_overhead', 'a window completed no read', details)];
    }
    return [
      measured(
        'federation_overhead',
        perRunRatios(results.federated, results.coalition, (run) => run.p50Ms),
        details,
        [],
        `p50 ${details.federatedP50Ms.median} ms with ${rewardsPartnerId}'s rewards vs ${details.coalitionP50Ms.median} ms for the wallet alone`,
      ),
    ];
  },
};

function isCleanAnswer(status: number, body: Buffer): boolean {
  return status === 200 && !body.includes('"errors"');
}
