import { useQuery } from 'urql';
import { WalletDocument } from '../generated/graphql';
import { errorMessage } from '../shared/client';
import { ErrorNotice, Loading, Shell } from '../shared/components';
import { useI18n } from '../shared/i18n';
import { useHashRoute } from '../shared/route';
import type { SignedIn } from '../shared/session';
import { Balances } from './Balances';
import { Convert } from './Convert';
import { History } from './History';
import { PointsChart } from './PointsChart';
import { Rewards } from './Rewards';

/**
 * The member's wallet, mobile first: one page per task (overview, history, rewards, convert).
 * Tiers, offers, referral codes and receipts get a page here when the API has them.
 */
export function WalletApp({ session, signOut }: SignedIn) {
  const { t } = useI18n();
  const [route] = useHashRoute('overview');
  const [wallet, refetchWallet] = useQuery({ query: WalletDocument });
  const refresh = () => refetchWallet({ requestPolicy: 'network-only' });
  const nav = [
    { route: 'overview', label: t('wallet.nav.overview') },
    { route: 'history', label: t('wallet.nav.history') },
    { route: 'rewards', label: t('wallet.nav.rewards') },
    { route: 'convert', label: t('wallet.nav.convert') },
  ];
  const data = wallet.data;
  return (
    <Shell
      title={t('wallet.title')}
      nav={nav}
      route={route}
      userName={session.user.name}
      onSignOut={signOut}
    >
      <ErrorNotice message={errorMessage(wallet.error)} />
      {!data && wallet.fetching && <Loading />}
      {data && route === 'overview' && (
        <>
          <h1>{t('wallet.overview.title')}</h1>
          <Balances wallet={data.wallet} currencies={data.currencies} />
          <PointsChart balances={data.wallet.balances} />
        </>
      )}
      {route === 'history' && <History />}
      {data && route === 'rewards' && <Rewards onRedeemed={refresh} />}
      {data && route === 'convert' && (
        <Convert balances={data.wallet.balances} onConverted={refresh} />
      )}
    </Shell>
  );
}
