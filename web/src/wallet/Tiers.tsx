import { useEffect } from 'react';
import { useQuery } from 'urql';
import { WalletTiersDocument } from '../generated/graphql';
import { ErrorMessage } from '../shared/errors';
import { useI18n } from '../shared/i18n';

/**
 * The member's status in each program with tiers: the tier and its benefits, the qualifying total,
 * what the next tier needs and by when, and when the tier is reviewed. Hidden without tiers.
 */
export function Tiers({ version }: { version: number }) {
  const { t, number, date } = useI18n();
  const [result, refetch] = useQuery({ query: WalletTiersDocument });
  useEffect(() => {
    if (version > 0) refetch({ requestPolicy: 'network-only' });
  }, [version, refetch]);
  if (result.error) return <ErrorMessage error={result.error} onRetry={() => refetch()} />;
  const tiers = result.data?.wallet.tiers ?? [];
  if (tiers.length === 0) return null;
  return (
    <section aria-labelledby="tiers">
      <h2 id="tiers">{t('tiers')}</h2>
      <ul className="cards">
        {tiers.map((status) => (
          <li key={status.currency} className="card" data-testid={`tier-${status.currency}`}>
            <h3>
              {status.currency}: {status.tier.name}
            </h3>
            {status.heldUntil && (
              <p>{t('tierHeldBy', { source: status.source, date: date(status.heldUntil) })}</p>
            )}
            <p>
              {t('tierMultiplier', { multiplier: status.tier.multiplier })}
              {status.tier.discountPercent !== '0' &&
                ` · ${t('tierDiscount', { percent: status.tier.discountPercent })}`}
            </p>
            {status.tier.perks.length > 0 && <p>{status.tier.perks.join(' · ')}</p>}
            <p>{t('tierQualifying', { total: number(status.qualifyingTotal) })}</p>
            <p>
              {status.nextTier
                ? t('tierNext', {
                    needed: number(status.nextTier.needed),
                    tier: status.nextTier.name,
                    date: date(status.windowEnd),
                  })
                : t('tierTop')}
            </p>
            <p>{t('tierReview', { date: date(status.reviewAt) })}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}
