import { useState } from 'react';
import { type AnyVariables, type TypedDocumentNode, useMutation, useQuery } from 'urql';
import {
  RedeemAwardFlightDocument,
  type RedeemAwardFlightMutation,
  RedeemGroceryRewardDocument,
  RedeemHotelRewardDocument,
  RewardsDocument,
  type RewardsQuery,
} from '../generated/graphql';
import { errorMessage } from '../shared/client';
import { ErrorNotice, Loading } from '../shared/components';
import { useI18n } from '../shared/i18n';

type Price = NonNullable<RewardsQuery['skyAirAwardFlights']>[number]['price'];
type Redemption = RedeemAwardFlightMutation['redeemAwardFlight'];

interface Reward {
  id: string;
  partner: string;
  title: string;
  detail: string;
  price: Price;
  redeem: 'flight' | 'hotel' | 'grocery';
}

/**
 * Partners' rewards with what the member can afford, directly or by converting points of
 * another program first; redeeming goes through the partner's two-phase flow (a hold on the
 * points, the partner's booking, then the confirm).
 */
export function Rewards({ onRedeemed }: { onRedeemed(): void }) {
  const { t, date, number } = useI18n();
  const [rewards, refetch] = useQuery({ query: RewardsDocument, requestPolicy: 'network-only' });
  const data = rewards.data;
  const list: Reward[] = [
    ...(data?.skyAirAwardFlights ?? []).map((flight) => ({
      id: flight.id,
      partner: 'SkyAir',
      title: `${flight.origin} → ${flight.destination}`,
      detail: t('wallet.rewards.flight', {
        flight: flight.flightNumber,
        date: date(`${flight.departsOn}T12:00:00Z`),
        cabin: flight.cabin,
      }),
      price: flight.price,
      redeem: 'flight' as const,
    })),
    ...(data?.nordicHotelRewards ?? []).map((stay) => ({
      id: stay.id,
      partner: 'Nordic Hotels',
      title: stay.hotel,
      detail: t(stay.nights === 1 ? 'wallet.rewards.stayOneNight' : 'wallet.rewards.stay', {
        city: stay.city,
        nights: number(stay.nights),
      }),
      price: stay.price,
      redeem: 'hotel' as const,
    })),
    ...(data?.freshMartRewards ?? []).map((item) => ({
      id: item.id,
      partner: 'FreshMart',
      title: item.title,
      detail: t('wallet.rewards.left', { left: number(item.left) }),
      price: item.price,
      redeem: 'grocery' as const,
    })),
  ];
  return (
    <section aria-labelledby="rewards-title">
      <h1 id="rewards-title">{t('wallet.rewards.title')}</h1>
      {/* A partner that is down costs only its own rewards: the rest still show. */}
      <ErrorNotice message={errorMessage(rewards.error)} />
      {!data && rewards.fetching && <Loading />}
      <ul className="cards">
        {list.map((reward) => (
          <RewardCard
            key={reward.id}
            reward={reward}
            onRedeemed={() => {
              refetch({ requestPolicy: 'network-only' });
              onRedeemed();
            }}
          />
        ))}
      </ul>
    </section>
  );
}

const redeemDocuments: Record<
  Reward['redeem'],
  TypedDocumentNode<Record<string, Redemption>, AnyVariables>
> = {
  flight: RedeemAwardFlightDocument as never,
  hotel: RedeemHotelRewardDocument as never,
  grocery: RedeemGroceryRewardDocument as never,
};

function RewardCard({ reward, onRedeemed }: { reward: Reward; onRedeemed(): void }) {
  const { t, points } = useI18n();
  const [redeemed, redeem] = useMutation(redeemDocuments[reward.redeem]);
  const [outcome, setOutcome] = useState<Redemption>();
  const affordability = reward.price.affordability;
  const route = affordability?.byConverting;
  const headingId = `reward-${reward.id}`;
  const submit = async () => {
    const result = await redeem({ id: reward.id, idempotencyKey: crypto.randomUUID() });
    const redemption = result.data && Object.values(result.data)[0];
    if (redemption) {
      setOutcome(redemption);
      if (redemption.status === 'CONFIRMED') onRedeemed();
    }
  };
  return (
    <li className="card reward" aria-labelledby={headingId} data-testid={`reward-${reward.id}`}>
      <h2 id={headingId} className="h3">
        {reward.title}
      </h2>
      <p className="muted">
        {reward.partner} · {reward.detail}
      </p>
      <p className="price">
        {points(reward.price.points)} {reward.price.currency}
      </p>
      {affordability && (
        <p className={affordability.affordable ? 'ok' : 'muted'} data-testid="affordability">
          {affordability.affordable
            ? t('wallet.rewards.affordable')
            : route
              ? t('wallet.rewards.byConverting', {
                  points: points(BigInt(route.sourcePoints) + BigInt(route.feePoints)),
                  currency: route.sourceCurrency,
                })
              : t('wallet.rewards.short', {
                  points: points(affordability.shortfallPoints),
                  currency: reward.price.currency,
                })}
        </p>
      )}
      {route && !affordability?.affordable && (
        <a
          href={`#/convert?from=${route.sourceCurrency}&to=${reward.price.currency}&points=${route.sourcePoints}`}
        >
          {t('wallet.rewards.convertFirst')}
        </a>
      )}
      <button
        type="button"
        className="primary"
        disabled={!affordability?.affordable || redeemed.fetching}
        onClick={() => void submit()}
        aria-describedby={headingId}
      >
        {redeemed.fetching ? t('wallet.rewards.redeeming') : t('wallet.rewards.redeem')}
      </button>
      <ErrorNotice message={errorMessage(redeemed.error)} />
      {outcome && (
        <p role="status" className={outcome.status === 'CONFIRMED' ? 'ok' : 'warn'}>
          {outcome.status === 'CONFIRMED'
            ? t('wallet.rewards.confirmed', { reference: outcome.reference ?? '' })
            : t('wallet.rewards.notRedeemed', {
                reason: outcome.reason ?? t(`redemption.${outcome.status}`),
              })}
        </p>
      )}
    </li>
  );
}
