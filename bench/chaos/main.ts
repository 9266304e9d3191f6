import { ledgerViolations } from '../../test/helpers/ledger-invariants';
import { ChaosEnvironment, sleep } from './environment';
import { type Scenario, scenarios } from './scenarios';
import { availablePoints, checkWorkload, Workload, type WorkloadMember } from './workload';

/**
 * `npm run chaos`: the fault suite (issue 11). Runs `npm start`'s gateway on a fresh embedded
 * database and, for each scenario and run: steady load (earns, payments, refunds, each with its
 * own idempotency key), the fault, load until the gateway answers again, then every
 * unacknowledged request re-sent unchanged until acknowledged. Checks after each run: nothing
 * acknowledged lost, nothing doubled, balances equal to the acknowledged changes, every ledger
 * invariant. Prints a report; exits 1 when any check failed.
 *
 *   npm run chaos -- [--runs 3] [--clients 8] [--only kill-gateway,overload]
 */
const members: WorkloadMember[] = [
  { memberId: 'mbr_alice', externalId: 'FC-0001' },
  { memberId: 'mbr_chloe', externalId: 'FC-0003' },
];
const currency = 'SKY';
const partnerId = 'ptr_fuelco';
/** Acknowledgements before the fault, and after recovery before the load stops. */
const acknowledgedAround = 50;
/** How long a run waits for the gateway to answer again, and for re-sent requests. */
const recoveryWaitMsMax = 120_000;
const resendWaitMsMax = 120_000;

interface RunResult {
  scenario: string;
  requests: number;
  operations: number;
  acknowledgedAtOnce: number;
  resent: number;
  stillUnacknowledged: number;
  recoveredInMs: number | undefined;
  problems: string[];
  failures: Map<string, number>;
}

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2));
  const log = (line: string) => console.log(`[chaos] ${line}`);
  const chosen = scenarios.filter(
    (scenario) => options.only === undefined || options.only.includes(scenario.name),
  );
  log(`starting the gateway (embedded PostgreSQL, demo coalition) in a fresh folder`);
  const environment = await ChaosEnvironment.start(log);
  const results: RunResult[] = [];
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    void environment.stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    for (const scenario of chosen) {
      for (let run = 1; run <= options.runs; run++) {
        log(`${scenario.name} run ${run}/${options.runs}: ${scenario.description}`);
        const result = await runOnce(environment, scenario, run, options.clients, log);
        results.push(result);
        log(
          `  ${result.operations} operations, ${result.acknowledgedAtOnce} acknowledged at once, ` +
            `${result.resent} re-sent, recovered in ${formatMs(result.recoveredInMs)}` +
            `${result.problems.length ? `; PROBLEMS: ${result.problems.join('; ')}` : ''}`,
        );
      }
    }
  } finally {
    await environment.stop();
  }
  console.log(`\n${report(results)}`);
  process.exit(results.some((result) => result.problems.length > 0) ? 1 : 0);
}

async function runOnce(
  environment: ChaosEnvironment,
  scenario: Scenario,
  run: number,
  clients: number,
  log: (line: string) => void,
): Promise<RunResult> {
  const start = new Map<string, bigint>();
  for (const member of members) {
    start.set(member.memberId, await availablePoints(environment.admin, member.memberId, currency));
  }
  const workload = new Workload({
    url: () => environment.url,
    partnerToken: environment.partnerToken,
    members,
    currency,
    keyPrefix: `CH-${scenario.name}-${run}-${Date.now().toString(36)}`,
  });
  let running = true;
  const load = workload.run(clients, () => running);
  const problems: string[] = [];
  let recoveredInMs: number | undefined;
  try {
    await untilAcknowledged(workload, acknowledgedAround);
    const faultAtMs = performance.now();
    await scenario.inject({ environment, workload, log });
    recoveredInMs = await recovery(workload, faultAtMs);
    if (recoveredInMs === undefined) problems.push('no acknowledgement after the fault');
    else await untilAcknowledged(workload, acknowledgedAround);
  } finally {
    running = false;
    await load;
  }
  const acknowledgedAtOnce = workload.acknowledged.size;
  const resent = workload.unacknowledged.size;
  await workload.resendUnacknowledged(performance.now() + resendWaitMsMax);
  if (workload.unacknowledged.size > 0) {
    problems.push(`${workload.unacknowledged.size} requests never acknowledged`);
  }
  const check = await checkWorkload(environment.admin, workload, start, currency, partnerId);
  if (check.lost.length) problems.push(`lost: ${check.lost.join(', ')}`);
  if (check.doubled.length) problems.push(`doubled: ${check.doubled.join(', ')}`);
  if (check.balanceMismatches.length) {
    problems.push(`balances: ${check.balanceMismatches.join(', ')}`);
  }
  const violations = await ledgerViolations(environment.admin);
  if (violations.length) problems.push(`invariants: ${violations.slice(0, 5).join(', ')}`);
  return {
    scenario: scenario.name,
    requests: workload.requests,
    operations: workload.operations.length,
    acknowledgedAtOnce,
    resent,
    stillUnacknowledged: workload.unacknowledged.size,
    recoveredInMs,
    problems,
    failures: workload.failures,
  };
}

/** Waits until `count` more operations have been acknowledged (progress, not the clock). */
async function untilAcknowledged(workload: Workload, count: number): Promise<void> {
  const target = workload.acknowledged.size + count;
  const giveUpAt = performance.now() + recoveryWaitMsMax;
  while (workload.acknowledged.size < target && performance.now() < giveUpAt) await sleep(10);
}

/**
 * From the fault to the first acknowledgement of an operation first sent after it: the time a
 * new caller waits for the gateway to be useful again. Undefined if it never came.
 */
async function recovery(workload: Workload, faultAtMs: number): Promise<number | undefined> {
  const giveUpAt = performance.now() + recoveryWaitMsMax;
  for (;;) {
    let first: number | undefined;
    for (const ack of workload.acknowledged.values()) {
      if (ack.operation.firstSentAtMs >= faultAtMs && (first === undefined || ack.atMs < first)) {
        first = ack.atMs;
      }
    }
    if (first !== undefined) return first - faultAtMs;
    if (performance.now() > giveUpAt) return undefined;
    await sleep(10);
  }
}

function report(results: RunResult[]): string {
  const header = [
    'scenario',
    'runs',
    'requests',
    'operations',
    'acknowledged',
    're-sent',
    'lost',
    'doubled',
    'invariants',
    'recovered in (median, max)',
  ];
  const rows: string[][] = [];
  const byScenario = new Map<string, RunResult[]>();
  for (const result of results) {
    byScenario.set(result.scenario, [...(byScenario.get(result.scenario) ?? []), result]);
  }
  for (const [name, runs] of byScenario) {
    const sum = (pick: (run: RunResult) => number) =>
      runs.reduce((total, run) => total + pick(run), 0);
    const recoveries = runs
      .map((run) => run.recoveredInMs)
      .filter((ms): ms is number => ms !== undefined)
      .sort((a, b) => a - b);
    const problems = (kind: string) =>
      runs.filter((run) => run.problems.some((problem) => problem.startsWith(kind))).length;
    rows.push([
      name,
      String(runs.length),
      String(sum((run) => run.requests)),
      String(sum((run) => run.operations)),
      `${sum((run) => run.operations - run.stillUnacknowledged)} (${sum((run) => run.acknowledgedAtOnce)} at once)`,
      String(sum((run) => run.resent)),
      String(problems('lost')),
      String(problems('doubled') + problems('balances')),
      problems('invariants') ? `${problems('invariants')} runs broken` : 'hold',
      recoveries.length
        ? `${formatMs(recoveries[Math.floor(recoveries.length / 2)])}, ${formatMs(recoveries.at(-1))}`
        : 'never',
    ]);
  }
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) =>
    cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  const failures = new Map<string, number>();
  for (const result of results) {
    for (const [reason, count] of result.failures) {
      failures.set(reason, (failures.get(reason) ?? 0) + count);
    }
  }
  const unacknowledgedBy = [...failures]
    .sort((a, b) => b[1] - a[1])
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');
  return [
    line(header),
    ...rows.map(line),
    '',
    `unacknowledged answers (before re-sending): ${unacknowledgedBy || 'none'}`,
    `lost = runs with an acknowledged transfer missing; doubled = runs with a key posted twice or a balance off the acknowledged sum`,
  ].join('\n');
}

function formatMs(ms: number | undefined): string {
  if (ms === undefined) return 'never';
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(2)} s`;
}

function parseArguments(argv: string[]): { runs: number; clients: number; only?: string[] } {
  const options: { runs: number; clients: number; only?: string[] } = { runs: 3, clients: 8 };
  for (let index = 0; index < argv.length; index++) {
    const name = argv[index];
    const value = argv[++index];
    if (name === '--runs') options.runs = Number(value);
    else if (name === '--clients') options.clients = Number(value);
    else if (name === '--only') options.only = value?.split(',');
    else {
      console.error(
        `usage: npm run chaos -- [--runs N] [--clients N] [--only ${scenarios.map((scenario) => scenario.name).join(',')}]`,
      );
      process.exit(2);
    }
  }
  return options;
}

main().catch((error: unknown) => {
  console.error(`[chaos] failed: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
