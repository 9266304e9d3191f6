import { createApp } from '../gateway/app';
import { asPartner } from '../gateway/demo/seed';
import type { AwardInput } from '../gateway/purchases/purchase-service';
import { DomainError } from '../gateway/shared/errors';

/**
 * The bench coalition: 20 partners earning one currency (BPT) at 1 point per euro, members
 * linked to every partner (so a load from one partner and a load spread over 20 reach the same
 * members), and one wallet member with 3 currencies and 30+ history entries for the read figures.
 * Nordic Hotels (the demo partner service federation_overhead runs) owns the third currency, HTL,
 * which its rewards are priced in, and knows the wallet member.
 */
export const benchPartnerCount = 20;
export const earnCurrency = 'BPT';
/** A second currency the 20 partners earn, with a tier ladder (earn_tiers_vs_plain only). */
export const tieredCurrency = 'BTR';
/** A third, tiered like BTR, with 20 earning rules (earn_rules_vs_plain only). */
export const rulesCurrency = 'BRU';
export const rewardsPartner = { id: 'ptr_nordic', name: 'Nordic Hotels', currency: 'HTL' };
/** The wallet member's currencies and the partner that owns and awards each. */
const walletPrograms = [
  { currency: earnCurrency, partnerId: benchPartnerId(0) },
  { currency: 'BXA', partnerId: benchPartnerId(1) },
  { currency: rewardsPartner.currency, partnerId: rewardsPartner.id },
] as const;
export const walletMemberId = 'mbr_bench_wallet';
const walletEarnsPerCurrency = 10;
const expiryMonths = 36;

export function benchPartnerId(index: number): string {
  return `ptr_bench_${String(index + 1).padStart(2, '0')}`;
}

export function benchMemberId(index: number): string {
  return `mbr_bench_${String(index).padStart(7, '0')}`;
}

/** Every partner knows member i under the same card number. */
export function benchExternalId(index: number): string {
  return `BM-${String(index).padStart(7, '0')}`;
}

/**
 * Migrates an empty database and fills it with the bench coalition. Partners, currencies and
 * terms go through the services (they open the system accounts); members, links and member
 * accounts are set-based SQL, since 10,000 one-by-one enrolments would take minutes.
 */
export async function seedBenchData(databaseUrl: string, members: number): Promise<void> {
  const app = await createApp({ databaseUrl });
  try {
    const system = app.systemContext('bench-seed');
    const partners = [
      ...Array.from({ length: benchPartnerCount }, (_, index) => ({
        id: benchPartnerId(index),
        name: `Bench Partner ${index + 1}`,
      })),
      { id: rewardsPartner.id, name: rewardsPartner.name },
    ];
    for (const partner of partners) must(await app.catalog.createPartner(system, partner));
    for (const { currency, partnerId } of walletPrograms) {
      must(
        await app.catalog.createCurrency(system, {
          code: currency,
          name: `Bench points ${currency}`,
          ownerPartnerId: partnerId,
          expiryMonths,
        }),
      );
    }
    const terms = [
      ...Array.from({ length: benchPartnerCount }, (_, index) => ({
        partnerId: benchPartnerId(index),
        currency: earnCurrency,
      })),
      ...walletPrograms.slice(1),
    ];
    for (const term of terms) {
      must(
        await app.catalog.setPartnerCurrency(system, {
          ...term,
          earns: true,
          accepts: true,
          earnRatePoints: 1n,
          earnRatePerMinor: 100n,
          moneyCurrency: 'EUR',
        }),
      );
    }
    await insertMembers(app.db, members);
    await seedWalletHistory(app);
  } finally {
    await app.close();
  }
}

async function insertMembers(
  db: { query(text: string, values?: readonly unknown[]): Promise<unknown> },
  members: number,
): Promise<void> {
  await db.query(
    `insert into member (id, display_name, created_at)
     select 'mbr_bench_' || lpad(i::text, 7, '0'), 'Bench Member ' || i, now()
     from generate_series(0, $1::int - 1) i`,
    [members],
  );
  await db.query(
    `insert into member_link (partner_id, external_id, member_id, created_at)
     select p.id, 'BM-' || lpad(i::text, 7, '0'), 'mbr_bench_' || lpad(i::text, 7, '0'), now()
     from generate_series(0, $1::int - 1) i cross join partner p
     where p.id like 'ptr_bench_%'`,
    [members],
  );
  // Members at a point of sale already hold points: open their accounts now, so the first
  // earn of each does not pay for creating one during the measurement.
  await db.query(
    `insert into account (kind, currency_code, member_id)
     select 'member', $2, 'mbr_bench_' || lpad(i::text, 7, '0')
     from generate_series(0, $1::int - 1) i`,
    [members, earnCurrency],
  );
  await db.query(
    `insert into member (id, display_name, created_at) values ($1, 'Bench Wallet', now())`,
    [walletMemberId],
  );
  await db.query(
    `insert into member_link (partner_id, external_id, member_id, created_at)
     select id, 'BW-1', $1, now() from partner where id like 'ptr_bench_%' or id = $2`,
    [walletMemberId, rewardsPartner.id],
  );
}

/** Earns in all three currencies, a payment and a refund: a wallet with a varied history. */
async function seedWalletHistory(app: Awaited<ReturnType<typeof createApp>>): Promise<void> {
  const member = { memberId: walletMemberId };
  for (let round = 0; round < walletEarnsPerCurrency; round++) {
    for (const { currency, partnerId } of walletPrograms) {
      must(
        await app.purchases.award(asPartner(app, partnerId), {
          member,
          transactionId: `BW-EARN-${currency}-${round}`,
          currency,
          purchase: { amountMinor: BigInt(1_000 + round * 250), currency: 'EUR' },
        }),
      );
    }
  }
  const shop = asPartner(app, benchPartnerId(4));
  must(
    await app.purchases.payWithPoints(shop, {
      member,
      transactionId: 'BW-PAY-1',
      currency: earnCurrency,
      points: 25n,
      purchase: { amountMinor: 2_500n, currency: 'EUR' },
    }),
  );
  must(
    await app.purchases.award(shop, {
      member,
      transactionId: 'BW-EARN-SHOP-1',
      currency: earnCurrency,
      purchase: { amountMinor: 8_000n, currency: 'EUR' },
    }),
  );
  must(
    await app.purchases.refundPurchase(shop, {
      transactionId: 'BW-EARN-SHOP-1',
      refundId: 'BW-REFUND-1',
      amount: { amountMinor: 3_000n, currency: 'EUR' },
    }),
  );
}

function must<T>(outcome: T | DomainError): T {
  if (outcome instanceof DomainError) throw new Error(`bench seed failed: ${outcome.message}`);
  return outcome;
}

/**
 * Adds the tiered program to a seeded bench database (earn_tiers_vs_plain): currency BTR owned by
 * partner 1 and earned by all 20 at BPT's rate, a four-tier ladder on qualifying points per
 * calendar year (x1, x1.25, x1.5, x2), and every member already enrolled, a quarter at each tier,
 * with an account, as members at a point of sale are. Earns then pay for the multiplier and the
 * qualification update, not for first-time enrolment.
 */
export async function seedTieredProgram(
  databaseUrl: string,
  members: number,
  currency = tieredCurrency,
): Promise<void> {
  const app = await createApp({ databaseUrl });
  try {
    const system = app.systemContext('bench-seed');
    must(
      await app.catalog.createCurrency(system, {
        code: currency,
        name: 'Bench tiered points',
        ownerPartnerId: benchPartnerId(0),
        expiryMonths,
      }),
    );
    for (let index = 0; index < benchPartnerCount; index++) {
      must(
        await app.catalog.setPartnerCurrency(system, {
          partnerId: benchPartnerId(index),
          currency: currency,
          earns: true,
          accepts: true,
          earnRatePoints: 1n,
          earnRatePerMinor: 100n,
          moneyCurrency: 'EUR',
        }),
      );
    }
    must(
      await app.tiers.defineLadder(system, {
        currency: currency,
        metric: 'points',
        window: 'calendar_year',
        effectiveFrom: new Date(Date.now() - 3_600_000),
        tiers: [
          { code: 'BASIC', name: 'Basic', threshold: 0n, multiplier: '1' },
          { code: 'SILVER', name: 'Silver', threshold: 10_000n, multiplier: '1.25' },
          { code: 'GOLD', name: 'Gold', threshold: 25_000n, multiplier: '1.5' },
          { code: 'PLATINUM', name: 'Platinum', threshold: 50_000n, multiplier: '2' },
        ],
      }),
    );
    await app.db.query(
      `insert into account (kind, currency_code, member_id, tier_window_start)
       select 'member', $2, 'mbr_bench_' || lpad(i::text, 7, '0'), tier_window_start('calendar_year', now())
       from generate_series(0, $1::int - 1) i`,
      [members, currency],
    );
    await app.db.query(
      `insert into member_tier (member_id, currency_code, rank, qualified_rank, enrolled_at,
                                enrolled_via, review_at, updated_at)
       select 'mbr_bench_' || lpad(i::text, 7, '0'), $2, i % 4, i % 4, now(), 'earn',
              tier_window_end('calendar_year', now()), now()
       from generate_series(0, $1::int - 1) i`,
      [members, currency],
    );
  } finally {
    await app.close();
  }
}

/**
 * The spread earn load in this process, through the purchase service as the gateway posts it
 * (so batches form as under the bench's HTTP load): each earn from a random bench partner for a
 * random one of `members`, `clients` at a time, transaction ids `<prefix>-<n>` numbered across
 * calls. `extra` adds fields to the n-th award (a channel, a basket).
 */
export function spreadAwards(
  app: Awaited<ReturnType<typeof createApp>>,
  members: number,
  prefix: string,
  extra: (n: number) => Partial<AwardInput> = () => ({}),
): (count: number, currency: string, clients: number) => Promise<void> {
  const contexts = Array.from({ length: benchPartnerCount }, (_, index) =>
    asPartner(app, benchPartnerId(index)),
  );
  let sent = 0;
  return async (count, currency, clients) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (next < count) {
          next++;
          const n = sent++;
          const outcome = await app.purchases.award(
            contexts[Math.floor(Math.random() * benchPartnerCount)]!,
            {
              member: { externalId: benchExternalId(Math.floor(Math.random() * members)) },
              transactionId: `${prefix}-${n}`,
              currency,
              purchase: { amountMinor: 4200n, currency: 'EUR' },
              ...extra(n),
            },
          );
          if (outcome instanceof DomainError) throw outcome;
        }
      }),
    );
  };
}

const benchChannels = ['store', 'online', 'app'] as const;

/**
 * The n-th earn's basket and channel when a load sends baskets (earn_rules_vs_plain's rules
 * match it): 42.00 EUR of 2 toys, groceries and a gift card; the channel rotates. The HTTP load
 * sends it as GraphQL variables (bench/requests.ts), the in-process tools as it is.
 */
export function benchBasket(n: number): Required<Pick<AwardInput, 'channel' | 'basket'>> {
  return {
    channel: benchChannels[n % benchChannels.length]!,
    basket: [
      { sku: 'TOY-7', category: 'toys', quantity: 2, unitPriceMinor: 850n },
      { sku: 'FOOD-3', category: 'food', quantity: 1, unitPriceMinor: 2000n },
      { sku: 'GIFT-5', category: 'gift cards', quantity: 1, unitPriceMinor: 500n },
    ],
  };
}
