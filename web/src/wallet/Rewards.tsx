import { useEffect, useId, useState } from 'react';
import { type TypedDocumentNode, useMutation, useQuery } from 'urql';
import {
  RedeemAwardFlightDocument,
  RedeemGroceryRewardDocument,
  RedeemHotelRewardDocument,
  RewardsDocument,
  type RewardsQuery,
} from '../generated/graphql';
import { ErrorMessage } from '../shared/errors';
import { useI18n } from '../shared/i18n';

type Price = NonNullable<RewardsQuery['skyAirAwardFlights']>[number]['price'];
type Redemption = { status: string; reference: string | null; reason: string | null };
type RedeemDocument = TypedDocumentNode<Record<string, Redemption>, { id: string; key: string }>;

interface Reward {
  id: string;
  title: string;
  price: Price;
  redeem: RedeemDocument;
}

/** Partners' rewards in one list, each with whether the member can afford it, and how. */
export function Rewards({ version, onRedeemed }: { version: number; onRedeemed: () => void }) {
  const { t } = useI18n();
  const id = useId();
  const [rewards, refetch] = useQuery({ query: RewardsDocument });
  useEffect(() => {
    if (version > 0) refetch({ requestPolicy: 'network-only' });
  }, [version, refetch]);
  const list: Reward[] = rewards.data
    ? [
        ...(rewards.data.skyAirAwardFlights ?? []).map((flight) => ({
          id: flight.id,
          title: `SkyAir ${flight.origin} → ${flight.destination}, ${flight.departsOn} (${flight.cabin})`,
          price: flight.price,
          redeem: RedeemAwardFlightDocument as unknown as RedeemDocument,
        })),
        ...(rewards.data.nordicHotelRewards ?? []).map((stay) => ({
          id: stay.id,
          title: `${stay.hotel}, ${stay.city} (${stay.nights})`,
          price: stay.price,
          redeem: RedeemHotelRewardDocument as unknown as RedeemDocument,
        })),
        ...(rewards.data.freshMartRewards ?? []).map((reward) => ({
          id: reward.id,
          title: `FreshMart: ${reward.title}`,
          price: reward.price,
          redeem: RedeemGroceryRewardDocument as unknown as RedeemDocument,
        })),
      ]
    : [];
  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('rewards')}</h2>
      {/* A partner that is down costs only its own rewards: the rest still show. */}
      <ErrorMessage error={rewards.error} />
      {rewards.fetching && !rewards.data && <p>{t('loading')}</p>}
      <ul className="cards">
        {list.map((reward) => (
          <RewardCard key={reward.id} reward={reward} onRedeemed={onRedeemed} />
        ))}
      </ul>
    </section>
  );
}

function RewardCard({ reward, onRedeemed }: { reward: Reward; onRedeemed: () => void }) {
  const { t, number } = useI18n();
  const [state, redeem] = useMutation(reward.redeem);
  const [outcome, setOutcome] = useState<string | null>(null);
  const affordability = reward.price.affordability;
  const run = async () => {
    setOutcome(null);
    const result = await redeem({ id: reward.id, key: crypto.randomUUID() });
    const redemption = result.data && Object.values(result.data)[0];
    if (!redemption) return;
    setOutcome(
      redemption.status === 'CONFIRMED'
        ? t('redeemed', { reference: redemption.reference ?? '' })
        : t('redeemFailed', { reason: redemption.reason ?? redemption.status }),
    );
    onRedeemed();
  };
  return (
    <li className="card" data-testid={`reward-${reward.id}`}>
      <h3>{reward.title}</h3>
      <p className="big">
        <bdi>
          {number(reward.price.points)} {reward.price.currency}
        </bdi>
      </p>
      {affordability && (
        <p
          className={affordability.affordable ? 'ok' : 'short'}
          data-testid={`afford-${reward.id}`}
        >
          {affordability.affordable
            ? t('affordable')
            : affordability.byConverting
              ? t('affordableByConverting', {
                  points: number(affordability.byConverting.sourcePoints),
                  currency: affordability.byConverting.sourceCurrency,
                })
              : t('shortBy', {
                  points: number(affordability.shortfallPoints),
                  currency: reward.price.currency,
                })}
        </p>
      )}
      <button
        type="button"
        onClick={run}
        disabled={state.fetching || !affordability?.affordable}
        aria-label={`${t('redeem')}: ${reward.title}`}
      >
        {t('redeem')}
      </button>
      <ErrorMessage error={state.error} />
      {outcome && <p role="status">{outcome}</p>}
    </li>
  );
}
