import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { CloseSettlementPeriodDocument, FinanceOverviewDocument } from '../generated/graphql';
import { ErrorMessage, type ErrorResult, isErrorResult } from '../shared/errors';
import { useI18n } from '../shared/i18n';
import { Analytics } from './Analytics';
import { Liabilities } from './Liabilities';
import { PeriodSettlementView } from './PeriodSettlementView';
import { Reconciliation } from './Reconciliation';
import { StatementView } from './StatementView';

/**
 * The finance console: settlement periods (closing one is the operator's), a closed period's
 * net positions and payments, a partner's statement with its CSV, reconciliation, the
 * liability per program and analytics (earn, burn, members, breakage). A partner's finance
 * users see only their own data: the API decides.
 */
export function FinanceApp() {
  const { t, number, date } = useI18n();
  const [overview, refetch] = useQuery({ query: FinanceOverviewDocument });
  const [closing, close] = useMutation(CloseSettlementPeriodDocument);
  const [problem, setProblem] = useState<ErrorResult | null>(null);
  const [selected, setSelected] = useState<string | null>(null);

  if (overview.error) return <ErrorMessage error={overview.error} onRetry={() => refetch()} />;
  if (!overview.data) return <p>{t('loading')}</p>;
  const { settlementPeriods, partners, viewer, programLiabilities } = overview.data;
  const period = settlementPeriods.find((candidate) => candidate.id === selected);

  const closePeriod = async (periodId: string) => {
    setProblem(null);
    const result = await close({ periodId });
    const answer = result.data?.closeSettlementPeriod;
    if (isErrorResult(answer)) setProblem(answer);
    else if (answer) setSelected(answer.id);
    refetch({ requestPolicy: 'network-only' });
  };

  return (
    <div className="finance">
      <section aria-labelledby="periods">
        <h2 id="periods">{t('periods')}</h2>
        <ErrorMessage error={closing.error ?? problem} />
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('period')}</th>
                <th scope="col">{t('starts')}</th>
                <th scope="col">{t('ends')}</th>
                <th scope="col">{t('status')}</th>
                <th scope="col">{t('transfers')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('selectPeriod')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {settlementPeriods.map((row) => (
                <tr key={row.id} data-testid={`period-${row.id}`}>
                  <td>{row.id}</td>
                  <td>{date(row.startsAt, true)}</td>
                  <td>{date(row.endsAt, true)}</td>
                  <td data-testid="period-status">
                    {t(row.status === 'closed' ? 'closed' : 'open')}
                  </td>
                  <td className="number">{row.transferCount ? number(row.transferCount) : ''}</td>
                  <td>
                    {row.status === 'open' ? (
                      <button
                        type="button"
                        disabled={closing.fetching}
                        onClick={() => closePeriod(row.id)}
                        aria-label={`${t('closePeriod')} ${row.id}`}
                      >
                        {t('closePeriod')}
                      </button>
                    ) : (
                      <button
                        type="button"
                        onClick={() => setSelected(row.id)}
                        aria-label={`${t('selectPeriod')} ${row.id}`}
                      >
                        {t('selectPeriod')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      {period?.status === 'closed' ? (
        <>
          {viewer.partnerId === null && <PeriodSettlementView periodId={period.id} />}
          <StatementView
            periodId={period.id}
            partners={partners}
            fixedPartnerId={viewer.partnerId ?? null}
          />
          <Reconciliation
            periodId={period.id}
            partners={partners}
            fixedPartnerId={viewer.partnerId ?? null}
          />
        </>
      ) : (
        <p>{t('choosePeriod')}</p>
      )}
      <Liabilities rows={programLiabilities} />
      <Analytics partners={partners} fixedPartnerId={viewer.partnerId ?? null} />
    </div>
  );
}
