import type { WalletQuery } from '../generated/graphql';
import { useI18n } from '../shared/i18n';

type Wallet = WalletQuery['wallet'];

/** Each program's points (available, pending, held, expiring soon), valued in EUR, and the total. */
export function Balances({ wallet }: { wallet: Wallet }) {
  const { t, number, date } = useI18n();
  return (
    <section aria-labelledby="balances">
      <h2 id="balances">{t('balances')}</h2>
      <p className="total" data-testid="total-value">
        {t('total')}:{' '}
        <bdi>
          {number(wallet.totalValue.amount)} {wallet.totalValue.currency}
        </bdi>
      </p>
      {wallet.unvaluedCurrencies.length > 0 && (
        <p>{t('unvalued', { currencies: wallet.unvaluedCurrencies.join(', ') })}</p>
      )}
      <ul className="cards">
        {wallet.balances.map((balance) => (
          <li key={balance.currency} className="card" data-testid={`balance-${balance.currency}`}>
            <h3>{balance.currency}</h3>
            <p className="big">
              <span data-testid={`available-${balance.currency}`}>{number(balance.available)}</span>
              {balance.value && (
                <span className="value" data-testid={`value-${balance.currency}`}>
                  {' '}
                  ≈{' '}
                  <bdi>
                    {number(balance.value.amount)} {balance.value.currency}
                  </bdi>
                </span>
              )}
            </p>
            <dl>
              <dt>{t('pending')}</dt>
              <dd data-testid={`pending-${balance.currency}`}>{number(balance.pending)}</dd>
              <dt>{t('held')}</dt>
              <dd data-testid={`held-${balance.currency}`}>{number(balance.held)}</dd>
              <dt>{t('expiringSoon', { date: date(balance.expiringBefore) })}</dt>
              <dd data-testid={`expiring-${balance.currency}`}>{number(balance.expiringSoon)}</dd>
            </dl>
          </li>
        ))}
      </ul>
    </section>
  );
}
