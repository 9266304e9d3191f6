import { useQuery } from 'urql';
import { ProgramLiabilitiesDocument } from '../generated/graphql';
import { errorMessage } from '../shared/client';
import { ErrorNotice, Loading } from '../shared/components';
import { useI18n } from '../shared/i18n';

/** What each program owes its members: outstanding points x the reference value. */
export function Liabilities() {
  const { t, points, money } = useI18n();
  const [liabilities] = useQuery({
    query: ProgramLiabilitiesDocument,
    requestPolicy: 'network-only',
  });
  const rows = liabilities.data?.programLiabilities;
  return (
    <section aria-labelledby="liabilities-title">
      <h1 id="liabilities-title">{t('finance.liabilities.title')}</h1>
      <ErrorNotice message={errorMessage(liabilities.error)} />
      {!rows && liabilities.fetching && <Loading />}
      {rows && (
        <div className="table-wrap">
          <table data-testid="liabilities">
            <thead>
              <tr>
                <th scope="col">{t('finance.liabilities.program')}</th>
                <th scope="col" className="number">
                  {t('finance.liabilities.available')}
                </th>
                <th scope="col" className="number">
                  {t('finance.liabilities.pending')}
                </th>
                <th scope="col" className="number">
                  {t('finance.liabilities.held')}
                </th>
                <th scope="col" className="number">
                  {t('finance.liabilities.outstanding')}
                </th>
                <th scope="col" className="number">
                  {t('finance.liabilities.value')}
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.currency} data-testid={`liability-${row.currency}`}>
                  <th scope="row">
                    {row.currency} <span className="muted">({row.ownerPartnerId})</span>
                  </th>
                  <td className="number">{points(row.availablePoints)}</td>
                  <td className="number">{points(row.pendingPoints)}</td>
                  <td className="number">{points(row.heldPoints)}</td>
                  <td className="number" data-testid="outstanding">
                    {points(row.outstandingPoints)}
                  </td>
                  <td className="number" data-testid="value">
                    {row.value
                      ? money(row.value.amount, row.value.currency)
                      : t('finance.liabilities.unvalued')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
