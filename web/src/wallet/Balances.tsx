import type { WalletQuery } from '../generated/graphql';
import { useI18n } from '../shared/i18n';

type Wallet = WalletQuery['wallet'];

/** Each program's balance with its pending, held and expiring-soon points, valued in EUR. */
export function Balances({
  wallet,
  currencies,
}: {
  wallet: Wallet;
  currencies: WalletQuery['currencies'];
}) {
  const { t, points, money, date } = useI18n();
  const nameOf = (code: string) => currencies.find((c) => c.code === code)?.name ?? code;
  return (
    <section aria-labelledby="balances-title">
      <h2 id="balances-title" className="visually-hidden">
        {t('wallet.balances.title')}
      </h2>
      <p className="total" data-testid="total-value">
        <span className="muted">{t('wallet.balances.total')}</span>{' '}
        <strong>{money(wallet.totalValue.amount, wallet.totalValue.currency)}</strong>
      </p>
      {wallet.unvaluedCurrencies.length > 0 && (
        <p className="muted">
          {t('wallet.balances.unvalued', { currencies: wallet.unvaluedCurrencies.join(', ') })}
        </p>
      )}
      {wallet.balances.length === 0 && <p>{t('wallet.balances.empty')}</p>}
      <ul className="cards">
        {wallet.balances.map((balance) => (
          <li key={balance.currency} className="card" data-testid={`balance-${balance.currency}`}>
            <h3>
              {nameOf(balance.currency)} <span className="code">{balance.currency}</span>
            </h3>
            <p className="big" data-testid="available">
              {points(balance.available)}
            </p>
            {balance.value && (
              <p className="muted" data-testid="value">
                {t('wallet.balances.worth', {
                  value: money(balance.value.amount, balance.value.currency),
                })}
              </p>
            )}
            <dl className="facts">
              <dt>{t('wallet.balances.pending')}</dt>
              <dd data-testid="pending">{points(balance.pending)}</dd>
              <dt>{t('wallet.balances.held')}</dt>
              <dd data-testid="held">{points(balance.held)}</dd>
              <dt>{t('wallet.balances.expiringSoon', { date: date(balance.expiringBefore) })}</dt>
              <dd data-testid="expiring">{points(balance.expiringSoon)}</dd>
              {balance.nextExpiryAt && (
                <>
                  <dt>{t('wallet.balances.nextExpiry')}</dt>
                  <dd>{date(balance.nextExpiryAt)}</dd>
                </>
              )}
            </dl>
          </li>
        ))}
      </ul>
    </section>
  );
}
