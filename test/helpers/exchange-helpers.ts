import type { RequestContext } from '../../gateway/shared/context';
import { ok, type TestApp } from './test-app';

/** Test helpers for the exchange: callers, balances and a fingerprint of everything written. */

export function asMember(app: TestApp, memberId: string): RequestContext {
  return { caller: { kind: 'member', memberId }, requestId: 'test', em: app.orm.em.fork() };
}

export function asOperator(app: TestApp): RequestContext {
  return {
    caller: { kind: 'operator', userId: 'ops_test' },
    requestId: 'test',
    em: app.orm.em.fork(),
  };
}

export async function availablePoints(
  app: TestApp,
  memberId: string,
  currency: string,
): Promise<bigint> {
  const rows = await app.ledger.balances([memberId], new Date('2100-01-01'));
  return rows.find((row) => row.currency === currency)?.availablePoints ?? 0n;
}

const issuers = { HTL: 'ptr_nordic', SKY: 'ptr_skyair' } as const;

/**
 * A new member enrolled at Nordic Hotels and SkyAir (external ids `NH-<name>` and `SK-<name>`),
 * holding the given points, awarded by the currencies' own programs.
 */
export async function memberWith(
  app: TestApp,
  name: string,
  points: { HTL?: bigint; SKY?: bigint },
): Promise<string> {
  // Enrolled as a new member at Nordic (the partner's own path), then linked at SkyAir.
  const memberId = ok(
    await app.members.enroll(app.asPartner(issuers.HTL), {
      externalId: `NH-${name}`,
      displayName: name,
    }),
  ).member.id;
  ok(
    await app.members.linkMember(app.systemContext(), {
      partnerId: issuers.SKY,
      externalId: `SK-${name}`,
      memberId,
    }),
  );
  for (const currency of ['HTL', 'SKY'] as const) {
    const amount = points[currency];
    if (!amount) continue;
    ok(
      await app.purchases.award(app.asPartner(issuers[currency]), {
        member: { memberId },
        transactionId: `GIFT-${name}-${currency}`,
        currency,
        points: amount,
      }),
    );
  }
  return memberId;
}

/**
 * Everything a value-moving write could change, as one comparable value: row counts of the
 * ledger and exchange tables and every account's totals.
 */
export async function ledgerFingerprint(app: TestApp): Promise<unknown> {
  const counts = await app.db.query(
    `select (select count(*) from transfer) as transfers, (select count(*) from posting) as postings,
            (select count(*) from lot) as lots, (select count(*) from lot_movement) as movements,
            (select sum(remaining_points) from lot) as lot_points,
            (select count(*) from conversion) as conversions,
            (select count(*) from idempotency_key) as keys`,
  );
  const accounts = await app.db.query(
    `select id, debits_posted, credits_posted, debits_pending, credits_pending, liquidity_floor_points
     from account order by id`,
  );
  return { counts: counts.rows[0], accounts: accounts.rows };
}
