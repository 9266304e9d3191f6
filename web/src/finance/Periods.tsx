import { type FormEvent, useState } from 'react';
import { useMutation } from 'urql';
import {
  CloseSettlementPeriodDocument,
  type FinanceHomeQuery,
  OpenSettlementPeriodDocument,
} from '../generated/graphql';
import { errorMessage } from '../shared/client';
import { ErrorNotice } from '../shared/components';
import { useI18n } from '../shared/i18n';
import type { FinanceScope } from './App';

type Period = FinanceHomeQuery['settlementPeriods'][number];

/** Settlement periods, oldest first; the operator's finance users open the next and close them. */
export function Periods(props: { scope: FinanceScope; periods: Period[]; onChanged(): void }) {
  const { t, dateTime, points } = useI18n();
  const [closing, close] = useMutation(CloseSettlementPeriodDocument);
  const [failure, setFailure] = useState<string>();
  const closePeriod = async (periodId: string) => {
    setFailure(undefined);
    const result = await close({ periodId });
    const answer = result.data?.closeSettlementPeriod;
    if (answer && 'message' in answer) setFailure(answer.message);
    else if (result.error) setFailure(errorMessage(result.error));
    else props.onChanged();
  };
  return (
    <section aria-labelledby="periods-title">
      <h1 id="periods-title">{t('finance.periods.title')}</h1>
      <ErrorNotice message={failure} />
      {props.periods.length === 0 && <p>{t('finance.periods.none')}</p>}
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">{t('finance.periods.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('finance.periods.starts')}</th>
              <th scope="col">{t('finance.periods.ends')}</th>
              <th scope="col">{t('finance.periods.status')}</th>
              <th scope="col" className="number">
                {t('finance.periods.transfers')}
              </th>
              <th scope="col" className="number">
                {t('finance.periods.obligations')}
              </th>
              <th scope="col">
                <span className="visually-hidden">{t('finance.periods.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.periods.map((period) => (
              <tr key={period.id} data-testid={`period-${period.id}`}>
                <td>{dateTime(period.startsAt)}</td>
                <td>{dateTime(period.endsAt)}</td>
                <td data-testid="status">{t(`finance.status.${period.status}`)}</td>
                <td className="number">
                  {period.transferCount ? points(period.transferCount) : '–'}
                </td>
                <td className="number">
                  {period.obligationCount ? points(period.obligationCount) : '–'}
                </td>
                <td>
                  {props.scope.operator && period.status === 'open' && (
                    <button
                      type="button"
                      disabled={closing.fetching}
                      onClick={() => void closePeriod(period.id)}
                      aria-label={t('finance.periods.closeLabel', { to: dateTime(period.endsAt) })}
                    >
                      {t('finance.periods.close')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {props.scope.operator && (
        <OpenPeriod first={props.periods.length === 0} onOpened={props.onChanged} />
      )}
    </section>
  );
}

function OpenPeriod(props: { first: boolean; onOpened(): void }) {
  const { t } = useI18n();
  const [opening, open] = useMutation(OpenSettlementPeriodDocument);
  const [startsAt, setStartsAt] = useState('');
  const [endsAt, setEndsAt] = useState('');
  const [failure, setFailure] = useState<string>();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(undefined);
    const result = await open({
      input: {
        endsAt: new Date(endsAt).toISOString(),
        startsAt: props.first && startsAt ? new Date(startsAt).toISOString() : null,
      },
    });
    const answer = result.data?.openSettlementPeriod;
    if (answer && 'message' in answer) setFailure(answer.message);
    else if (result.error) setFailure(errorMessage(result.error));
    else props.onOpened();
  };
  return (
    <form className="form" onSubmit={submit} aria-labelledby="open-title">
      <h2 id="open-title">{t('finance.periods.openTitle')}</h2>
      {props.first && (
        <>
          <label htmlFor="period-start">{t('finance.periods.starts')}</label>
          <input
            id="period-start"
            type="datetime-local"
            required
            value={startsAt}
            onChange={(event) => setStartsAt(event.target.value)}
          />
        </>
      )}
      <label htmlFor="period-end">{t('finance.periods.ends')}</label>
      <input
        id="period-end"
        type="datetime-local"
        required
        value={endsAt}
        onChange={(event) => setEndsAt(event.target.value)}
      />
      <button type="submit" disabled={opening.fetching}>
        {t('finance.periods.open')}
      </button>
      <ErrorNotice message={failure} />
    </form>
  );
}
