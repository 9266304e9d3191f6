import { type ReactNode, useState } from 'react';
import { useQuery } from 'urql';
import { FinanceHomeDocument } from '../generated/graphql';
import { errorMessage } from '../shared/client';
import { ErrorNotice, Loading, Shell } from '../shared/components';
import { useI18n } from '../shared/i18n';
import { useHashRoute } from '../shared/route';
import type { SignedIn } from '../shared/session';
import { Liabilities } from './Liabilities';
import { Periods } from './Periods';
import { Reconciliation } from './Reconciliation';
import { Settlement } from './Settlement';
import { Statement } from './Statement';

export interface FinanceScope {
  /** The operator's finance users see every partner; a partner's see only their own. */
  operator: boolean;
  partnerId: string | null;
  partners: { id: string; name: string }[];
  periods: { id: string; startsAt: string; endsAt: string; status: 'open' | 'closed' }[];
}

/**
 * The finance console: settlement periods and their close, who pays whom, a partner's
 * statement (paged, and as CSV), reconciliation of a partner's file, and programs' liabilities.
 */
export function FinanceApp({ session, signOut }: SignedIn) {
  const { t } = useI18n();
  const [route] = useHashRoute('periods');
  const [home, refetchHome] = useQuery({ query: FinanceHomeDocument });
  const [periodId, setPeriodId] = useState<string>();
  const data = home.data;
  const operator = data ? data.viewer.partnerId === null : false;
  const nav = [
    { route: 'periods', label: t('finance.nav.periods') },
    ...(operator ? [{ route: 'settlement', label: t('finance.nav.settlement') }] : []),
    { route: 'statement', label: t('finance.nav.statement') },
    { route: 'reconciliation', label: t('finance.nav.reconciliation') },
    { route: 'liabilities', label: t('finance.nav.liabilities') },
  ];
  const closed = data?.settlementPeriods.filter((period) => period.status === 'closed') ?? [];
  const chosenPeriod = periodId ?? closed.at(-1)?.id;
  const scope: FinanceScope | undefined = data && {
    operator,
    partnerId: data.viewer.partnerId,
    partners: data.partners,
    periods: data.settlementPeriods,
  };
  const periodPage = (page: (periodId: string, scope: FinanceScope) => ReactNode) =>
    scope &&
    (chosenPeriod ? (
      <>
        <PeriodSelect scope={scope} value={chosenPeriod} onChange={setPeriodId} />
        {page(chosenPeriod, scope)}
      </>
    ) : (
      <p>{t('finance.noClosedPeriod')}</p>
    ));
  return (
    <Shell
      title={t('finance.title')}
      nav={nav}
      route={route}
      userName={session.user.name}
      onSignOut={signOut}
    >
      <ErrorNotice message={errorMessage(home.error)} />
      {!data && home.fetching && <Loading />}
      {scope && route === 'periods' && (
        <Periods
          scope={scope}
          periods={data!.settlementPeriods}
          onChanged={() => refetchHome({ requestPolicy: 'network-only' })}
        />
      )}
      {route === 'settlement' && (
        <>
          <h1>{t('finance.settlement.title')}</h1>
          {periodPage((id) => (
            <Settlement periodId={id} />
          ))}
        </>
      )}
      {route === 'statement' && (
        <>
          <h1>{t('finance.statement.title')}</h1>
          {periodPage((id, s) => (
            <Statement periodId={id} scope={s} />
          ))}
        </>
      )}
      {route === 'reconciliation' && (
        <>
          <h1>{t('finance.reconciliation.title')}</h1>
          {periodPage((id, s) => (
            <Reconciliation periodId={id} scope={s} />
          ))}
        </>
      )}
      {route === 'liabilities' && <Liabilities />}
    </Shell>
  );
}

function PeriodSelect(props: {
  scope: FinanceScope;
  value: string;
  onChange(periodId: string): void;
}) {
  const { t, date } = useI18n();
  return (
    <div className="toolbar">
      <label htmlFor="period">{t('finance.period')}</label>
      <select
        id="period"
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
      >
        {props.scope.periods
          .filter((period) => period.status === 'closed')
          .map((period) => (
            <option key={period.id} value={period.id}>
              {t('finance.periodOption', { from: date(period.startsAt), to: date(period.endsAt) })}
            </option>
          ))}
      </select>
    </div>
  );
}

/** A partner picker for the operator's finance users; a partner's see their own only. */
export function PartnerSelect(props: {
  scope: FinanceScope;
  value: string;
  onChange(partnerId: string): void;
}) {
  const { t } = useI18n();
  if (!props.scope.operator) return null;
  return (
    <div className="toolbar">
      <label htmlFor="partner">{t('finance.partner')}</label>
      <select
        id="partner"
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
      >
        {props.scope.partners.map((partner) => (
          <option key={partner.id} value={partner.id}>
            {partner.name}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The partner a page shows: the user's own, or the one the operator picked. */
export function usePartner(scope: FinanceScope): [string, (partnerId: string) => void] {
  const [picked, setPicked] = useState(scope.partnerId ?? scope.partners[0]?.id ?? '');
  return [scope.partnerId ?? picked, setPicked];
}
