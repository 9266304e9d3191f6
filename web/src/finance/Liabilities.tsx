import type { FinanceOverviewQuery } from '../generated/graphql';
import { useI18n } from '../shared/i18n';

/** Outstanding points per program and their value at the operator's reference value. */
export function Liabilities({ rows }: { rows: FinanceOverviewQuery['programLiabilities'] }) {
  const { t, number } = useI18n();
  return (
    <section aria-labelledby="liabilities">
      <h2 id="liabilities">{t('liabilities')}</h2>
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('program')}</th>
              <th scope="col">{t('partner')}</th>
              <th scope="col">{t('outstanding')}</th>
              <th scope="col">{t('pending')}</th>
              <th scope="col">{t('referenceValue')}</th>
              <th scope="col">{t('liability')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.currency} data-testid={`liability-${row.currency}`}>
                <td>{row.currency}</td>
                <td>{row.ownerPartnerId}</td>
                <td className="number">{number(row.outstandingPoints)}</td>
                <td className="number">{number(row.pendingPoints)}</td>
                <td className="number">
                  {row.valueMicros === null
                    ? ''
                    : `${number(Number(row.valueMicros) / 1_000_000)} EUR`}
                </td>
                <td className="number">
                  {row.liability ? `${number(row.liability.amount)} ${row.liability.currency}` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
