import { useCallback, useEffect, useState } from 'react';
import { useQuery } from 'urql';
import { WalletDocument } from '../generated/graphql';
import { ErrorMessage } from '../shared/errors';
import { useI18n } from '../shared/i18n';
import { Balances } from './Balances';
import { Convert } from './Convert';
import { History } from './History';
import { Offers } from './Offers';
import { Rewards } from './Rewards';
import { Tiers } from './Tiers';

/**
 * One wallet across every program: balances and their value, a conversion with a live quote,
 * partners' rewards (with what converting would make affordable) and the history. A convert or
 * a redemption bumps `version`, and every part refetches from the ledger.
 */
export function WalletApp() {
  const { t } = useI18n();
  const [version, setVersion] = useState(0);
  const changed = useCallback(() => setVersion((v) => v + 1), []);
  const [wallet, refetch] = useQuery({ query: WalletDocument });
  useEffect(() => {
    if (version > 0) refetch({ requestPolicy: 'network-only' });
  }, [version, refetch]);

  if (wallet.error) return <ErrorMessage error={wallet.error} onRetry={() => refetch()} />;
  if (!wallet.data) return <p>{t('loading')}</p>;
  const balances = wallet.data.wallet.balances;
  return (
    <div className="wallet">
      <Balances wallet={wallet.data.wallet} />
      <Tiers version={version} />
      <Offers />
      <Convert balances={balances} onConverted={changed} />
      <Rewards version={version} onRedeemed={changed} />
      <History version={version} balances={balances} />
    </div>
  );
}
