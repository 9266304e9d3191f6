import { useId, useState } from 'react';
import { useQuery } from 'urql';
import { FinanceAnalyticsDocument } from '../generated/graphql';
import { ErrorMessage, isErrorResult } from '../shared/errors';
import { useI18n } from '../shared/i18n';

/** A UTC day as the API takes it, "YYYY-MM-DD". */
function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * Analytics of a range of days: earn and burn per day, active members, members per tier and
 * per segment (as last refreshed) and breakage. The operator's finance users choose the whole coalition or one partner; a
 * partner's see their own (the API decides). Liability is the table above.
 */
export function Analytics({
  partners,
  fixedPartnerId,
}: {
  partners: { id: string; name: string }[];
  fixedPartnerId: string | null;
}) {
  const { t, number } = useI18n();
  const id = useId();
  const today = new Date();
  const [form, setForm] = useState({
    partnerId: fixedPartnerId ?? '',
    from: utcDay(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1))),
    to: utcDay(today),
  });
  const [asked, setAsked] = useState<typeof form | null>(null);
  const [report] = useQuery({
    query: FinanceAnalyticsDocument,
    variables: {
      input: {
        partnerId: asked?.partnerId || null,
        from: asked?.from ?? '',
        to: asked?.to ?? '',
      },
    },
    pause: asked === null,
  });
  const answer = report.data?.analytics;
  const data = answer && !isErrorResult(answer) ? answer : null;
  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('analytics')}</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setAsked(form);
        }}
      >
        {fixedPartnerId === null && (
          <div className="field">
            <label htmlFor={`${id}-partner`}>{t('partner')}</label>
            <select
              id={`${id}-partner`}
              value={form.partnerId}
              onChange={(event) => setForm({ ...form, partnerId: event.target.value })}
            >
              <option value="">{t('wholeCoalition')}</option>
              {partners.map((partner) => (
                <option key={partner.id} value={partner.id}>
                  {partner.name}
                </option>
              ))}
            </select>
          </div>
        )}
        <div className="field">
          <label htmlFor={`${id}-from`}>{t('fromDay')}</label>
          <input
            id={`${id}-from`}
            type="date"
            value={form.from}
            onChange={(event) => setForm({ ...form, from: event.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-to`}>{t('toDay')}</label>
          <input
            id={`${id}-to`}
            type="date"
            value={form.to}
            onChange={(event) => setForm({ ...form, to: event.target.value })}
          />
        </div>
        <button type="submit">{t('showAnalytics')}</button>
      </form>
      <ErrorMessage error={report.error ?? (isErrorResult(answer) ? answer : null)} />
      {data && (
        <>
          <p data-testid="active-members">
            {t('activeMembers')}: {number(data.activeMembers)}
          </p>
          <div className="table-scroll">
            <table data-testid="analytics-days">
              <caption>{t('earnAndBurn')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('day')}</th>
                  <th scope="col">{t('program')}</th>
                  <th scope="col">{t('earned')}</th>
                  <th scope="col">{t('earnReversed')}</th>
                  <th scope="col">{t('burned')}</th>
                  <th scope="col">{t('burnReversed')}</th>
                </tr>
              </thead>
              <tbody>
                {data.days.map((day) => (
                  <tr
                    key={`${day.day}-${day.currency}`}
                    data-testid={`day-${day.day}-${day.currency}`}
                  >
                    <td>{day.day}</td>
                    <td>{day.currency}</td>
                    <td className="number">{number(day.earnedPoints)}</td>
                    <td className="number">{number(day.earnReversedPoints)}</td>
                    <td className="number">{number(day.burnedPoints)}</td>
                    <td className="number">{number(day.burnReversedPoints)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="table-scroll">
            <table data-testid="analytics-tiers">
              <caption>{t('membersByTier')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('program')}</th>
                  <th scope="col">{t('tier')}</th>
                  <th scope="col">{t('members')}</th>
                </tr>
              </thead>
              <tbody>
                {data.membersByTier.map((tier) => (
                  <tr key={`${tier.currency}-${tier.rank}`}>
                    <td>{tier.currency}</td>
                    <td>{tier.name ?? tier.rank}</td>
                    <td className="number">{number(tier.members)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {data.membersBySegment.length > 0 && (
            <div className="table-scroll">
              <table data-testid="analytics-segments">
                <caption>{t('membersBySegment')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('segment')}</th>
                    <th scope="col">{t('members')}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.membersBySegment.map((segment) => (
                    <tr key={segment.segmentId}>
                      <td>{segment.name}</td>
                      <td className="number">{number(segment.members)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <div className="table-scroll">
            <table data-testid="analytics-breakage">
              <caption>{t('breakage')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('program')}</th>
                  <th scope="col">{t('issued')}</th>
                  <th scope="col">{t('expired')}</th>
                  <th scope="col">{t('breakageRate')}</th>
                </tr>
              </thead>
              <tbody>
                {data.breakage.map((row) => (
                  <tr key={row.currency} data-testid={`breakage-${row.currency}`}>
                    <td>{row.currency}</td>
                    <td className="number">{number(row.issuedPoints)}</td>
                    <td className="number">{number(row.expiredPoints)}</td>
                    <td className="number">
                      {row.rateBasisPoints === null
                        ? ''
                        : `${number(Number(row.rateBasisPoints) / 100)} %`}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
