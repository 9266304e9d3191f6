import type { Sql } from '../../gateway/db/sql';

/**
 * The fault suite's load: closed-loop clients sending earns, payments and refunds through the
 * gateway's HTTP API, each with its own idempotency key (the partner's transaction or refund
 * id). A request is acknowledged when the gateway gave a definite answer (a success, or a typed
 * error result such as INSUFFICIENT_POINTS); anything else (a dropped connection, a 5xx, a
 * retryable error) leaves it unacknowledged, to be re-sent unchanged after the fault.
 */

/** How long a load client pauses after a request that was not acknowledged. */
const failedRequestPauseMs = 100;

export type OperationKind = 'earn' | 'pay' | 'refund';

export interface Operation {
  kind: OperationKind;
  /** The partner's transaction id (earn, pay) or refund id: the idempotency key. */
  key: string;
  memberId: string;
  query: string;
  variables: Record<string, unknown>;
  /** When it was first sent (performance.now() ms). */
  firstSentAtMs: number;
}

export interface Acknowledged {
  operation: Operation;
  /** The result's __typename (a success or a typed error result). */
  typename: string;
  transferId: string | undefined;
  /** What the operation did to the member's available points. */
  netPoints: bigint;
  /** When the answer arrived (performance.now() ms). */
  atMs: number;
}

export interface WorkloadMember {
  memberId: string;
  /** The member's id at the partner the load runs as. */
  externalId: string;
}

export interface WorkloadOptions {
  /** The gateway's /graphql URL; a function when the gateway moves (a restart on a new port). */
  url: string | (() => string);
  partnerToken: string;
  members: readonly WorkloadMember[];
  currency: string;
  /** Prefix of every key this workload sends, unique per run. */
  keyPrefix: string;
  /** Per-request timeout: a gateway that never answers leaves the request unacknowledged. */
  requestTimeoutMs?: number;
}

const awardMutation = `mutation ($input: AwardPointsInput!) { awardPoints(input: $input) {
  __typename ... on AwardPointsSuccess { transferId points available } ... on ErrorResult { code } } }`;
const payMutation = `mutation ($input: PayWithPointsInput!) { payWithPoints(input: $input) {
  __typename ... on PayWithPointsSuccess { transferId points } ... on ErrorResult { code } } }`;
const refundMutation = `mutation ($input: RefundPurchaseInput!) { refundPurchase(input: $input) {
  __typename ... on RefundPurchaseSuccess { transferId takenBack { points } returned { points } }
  ... on ErrorResult { code } } }`;

export class Workload {
  /** HTTP requests sent, first sends and re-sends. */
  requests = 0;
  readonly operations: Operation[] = [];
  readonly acknowledged = new Map<string, Acknowledged>();
  /** Sent and not acknowledged yet (a fault, or a retryable error). */
  readonly unacknowledged = new Map<string, Operation>();
  /** Why requests were not acknowledged: error code, HTTP status or transport error. */
  readonly failures = new Map<string, number>();
  /** Purchases acknowledged and not yet refunded (refunds pick from them). */
  private readonly refundable: { transactionId: string; memberId: string }[] = [];
  private sequence = 0;

  constructor(private readonly options: WorkloadOptions) {}

  /** `clients` closed loops until `running()` is false. */
  async run(clients: number, running: () => boolean): Promise<void> {
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (running()) {
          // A client whose request failed waits a moment, as a real one would (Retry-After).
          if (!(await this.send(this.next()))) await sleep(failedRequestPauseMs);
        }
      }),
    );
  }

  /**
   * Re-sends every unacknowledged operation, unchanged, until each is acknowledged or
   * `giveUpAtMs` (performance.now()) passes. Returns when the last one was acknowledged.
   */
  async resendUnacknowledged(giveUpAtMs: number, parallel = 8): Promise<void> {
    const queue = [...this.unacknowledged.values()];
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        for (let operation = queue.shift(); operation; operation = queue.shift()) {
          for (let attempt = 0; performance.now() < giveUpAtMs; attempt++) {
            if (await this.send(operation)) break;
            await sleep(Math.min(1_000, 50 * 2 ** attempt));
          }
        }
      }),
    );
  }

  /** Sends one operation once; true when it was acknowledged. */
  async send(operation: Operation): Promise<boolean> {
    this.requests++;
    const outcome = await this.post(operation);
    if ('failure' in outcome) {
      this.unacknowledged.set(operation.key, operation);
      this.failures.set(outcome.failure, (this.failures.get(outcome.failure) ?? 0) + 1);
      return false;
    }
    this.unacknowledged.delete(operation.key);
    const ack: Acknowledged = { operation, ...outcome, atMs: performance.now() };
    this.acknowledged.set(operation.key, ack);
    if (operation.kind !== 'refund' && ack.typename.endsWith('Success')) {
      this.refundable.push({
        transactionId: operation.key,
        memberId: operation.memberId,
      });
    }
    return true;
  }

  /** The next operation: mostly earns and payments, a refund of an acknowledged purchase. */
  next(): Operation {
    const n = this.sequence++;
    const member = this.options.members[n % this.options.members.length]!;
    const roll = Math.random();
    const base = { firstSentAtMs: performance.now(), memberId: member.memberId };
    if (roll < 0.15 && this.refundable.length > 0) {
      const index = Math.floor(Math.random() * this.refundable.length);
      const purchase = this.refundable.splice(index, 1)[0]!;
      const key = `${purchase.transactionId}-R`;
      const partial = Math.random() < 0.5;
      const input = {
        transactionId: purchase.transactionId,
        refundId: key,
        ...(partial ? { amount: { amount: '1.00', currency: 'EUR' } } : {}),
      };
      const operation: Operation = {
        ...base,
        memberId: purchase.memberId,
        kind: 'refund',
        key,
        query: refundMutation,
        variables: { input },
      };
      return this.track(operation);
    }
    const key = `${this.options.keyPrefix}-${n}`;
    const memberRef = { externalId: member.externalId };
    if (roll < 0.6) {
      const euros = 1 + Math.floor(Math.random() * 200);
      const input = {
        member: memberRef,
        transactionId: key,
        currency: this.options.currency,
        purchase: { amount: `${euros}.00`, currency: 'EUR' },
      };
      return this.track({ ...base, kind: 'earn', key, query: awardMutation, variables: { input } });
    }
    const points = 1 + Math.floor(Math.random() * 20);
    const input = {
      member: memberRef,
      transactionId: key,
      currency: this.options.currency,
      points: String(points),
      purchase: { amount: `${points}.00`, currency: 'EUR' },
    };
    return this.track({ ...base, kind: 'pay', key, query: payMutation, variables: { input } });
  }

  private track(operation: Operation): Operation {
    this.operations.push(operation);
    return operation;
  }

  private async post(
    operation: Operation,
  ): Promise<{ failure: string } | Omit<Acknowledged, 'operation' | 'atMs'>> {
    const url = typeof this.options.url === 'function' ? this.options.url() : this.options.url;
    let status: number;
    let body: {
      data?: Record<string, Record<string, unknown> | null> | null;
      errors?: { extensions?: { code?: string } }[];
    };
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${this.options.partnerToken}`,
        },
        body: JSON.stringify({ query: operation.query, variables: operation.variables }),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 20_000),
      });
      status = response.status;
      body = (await response.json()) as typeof body;
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      return { failure: cause?.code ?? (error as Error).name ?? 'transport error' };
    }
    const result = body.data ? Object.values(body.data)[0] : undefined;
    if (!result) {
      const code = body.errors?.[0]?.extensions?.code;
      return { failure: code ? `${code} (HTTP ${status})` : `HTTP ${status}` };
    }
    return {
      typename: String(result.__typename),
      transferId: result.transferId as string | undefined,
      netPoints: netPointsOf(operation.kind, result),
    };
  }
}

function netPointsOf(kind: OperationKind, result: Record<string, unknown>): bigint {
  if (!String(result.__typename).endsWith('Success')) return 0n;
  const points = (value: unknown) =>
    BigInt((value as { points?: string } | null)?.points ?? (value as string | undefined) ?? 0);
  if (kind === 'earn') return result.available ? points(result.points) : 0n;
  if (kind === 'pay') return -points(result.points);
  return points(result.returned) - points(result.takenBack);
}

/** A member's available points in one currency, read from the ledger. */
export async function availablePoints(
  sql: Sql,
  memberId: string,
  currency: string,
): Promise<bigint> {
  const { rows } = await sql.query<{ available: bigint }>(
    `select credits_posted - debits_posted - debits_pending as available from account
     where kind = 'member' and member_id = $1 and currency_code = $2`,
    [memberId, currency],
  );
  return BigInt(rows[0]?.available ?? 0n);
}

export interface WorkloadCheck {
  /** Acknowledged transfers that are not in the ledger. */
  lost: string[];
  /** Keys with more than one transfer of a kind. */
  doubled: string[];
  /** Members whose balance is not their start plus every acknowledged change. */
  balanceMismatches: string[];
}

/**
 * What the acknowledged answers promise, checked against the ledger: every acknowledged
 * transfer exists, no key has two transfers of one kind, and each member's available points are
 * the start plus the sum of acknowledged changes. Call when nothing is unacknowledged.
 */
export async function checkWorkload(
  sql: Sql,
  workload: Workload,
  startBalances: ReadonlyMap<string, bigint>,
  currency: string,
  partnerId: string,
): Promise<WorkloadCheck> {
  const transferIds = [...workload.acknowledged.values()]
    .map((ack) => ack.transferId)
    .filter((id): id is string => id !== undefined);
  const found = await sql.query<{ id: string }>('select id from transfer where id = any($1)', [
    transferIds,
  ]);
  const present = new Set(found.rows.map((row) => row.id));
  const lost = transferIds.filter((id) => !present.has(id));
  const keys = workload.operations.map((operation) => operation.key);
  const doubles = await sql.query<{ external_id: string; code: string; count: bigint }>(
    `select external_id, code, count(*) as count from transfer
     where partner_id = $1 and external_id = any($2) group by external_id, code having count(*) > 1`,
    [partnerId, keys],
  );
  const doubled = doubles.rows.map((row) => `${row.external_id} ${row.code} x${row.count}`);
  const expected = new Map(startBalances);
  for (const ack of workload.acknowledged.values()) {
    const memberId = ack.operation.memberId;
    expected.set(memberId, (expected.get(memberId) ?? 0n) + ack.netPoints);
  }
  const balanceMismatches: string[] = [];
  for (const [memberId, points] of expected) {
    const actual = await availablePoints(sql, memberId, currency);
    if (actual !== points) balanceMismatches.push(`${memberId}: ${actual} != expected ${points}`);
  }
  return { lost, doubled, balanceMismatches };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
