import { useId, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { ActivateOfferDocument, MyOffersDocument, type MyOffersQuery } from '../generated/graphql';
import { ErrorMessage } from '../shared/errors';
import { useI18n } from '../shared/i18n';

type Offer = MyOffersQuery['myOffers'][number];

/**
 * The offers partners made for the member (docs/segments-and-offers.md): each until it closes,
 * to activate; once activated it applies at the member's next purchase there. Hidden when none.
 */
export function Offers() {
  const { t } = useI18n();
  const id = useId();
  const [offers, refetch] = useQuery({ query: MyOffersDocument });
  if (offers.error) return <ErrorMessage error={offers.error} onRetry={() => refetch()} />;
  const list = offers.data?.myOffers ?? [];
  if (list.length === 0) return null;
  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('offers')}</h2>
      <ul className="cards">
        {list.map((offer) => (
          <OfferCard key={offer.id} offer={offer} />
        ))}
      </ul>
    </section>
  );
}

function OfferCard({ offer }: { offer: Offer }) {
  const { t, date } = useI18n();
  const [state, activate] = useMutation(ActivateOfferDocument);
  const [activatedAt, setActivatedAt] = useState(offer.activatedAt);
  const [refusal, setRefusal] = useState<string | null>(null);
  const run = async () => {
    setRefusal(null);
    const result = await activate({ offerId: offer.id });
    const answer = result.data?.activateOffer;
    if (answer && 'offer' in answer) setActivatedAt(answer.offer.activatedAt);
    else if (answer && 'message' in answer) setRefusal(answer.message);
  };
  return (
    <li className="card" data-testid={`offer-${offer.id}`}>
      <h3>{offer.name}</h3>
      {offer.description && <p>{offer.description}</p>}
      <p>{t('offerUntil', { date: date(offer.endsAt) })}</p>
      {activatedAt ? (
        <p className="ok" role="status">
          {t('offerActivated')}
        </p>
      ) : (
        <button
          type="button"
          onClick={run}
          disabled={state.fetching}
          aria-label={`${t('activate')}: ${offer.name}`}
        >
          {t('activate')}
        </button>
      )}
      <ErrorMessage error={state.error} />
      {refusal && <p role="alert">{refusal}</p>}
    </li>
  );
}
