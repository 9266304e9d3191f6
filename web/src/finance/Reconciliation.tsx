import { type FormEvent, useId, useState } from 'react';
import { useMutation } from 'urql';
import {
  ResolveReconciliationExceptionDocument,
  SubmitReconciliationDocument,
  type SubmitReconciliationMutation,
} from '../generated/graphql';
import { ErrorMessage, type ErrorResult, isErrorResult } from '../shared/errors';
import { useI18n } from '../shared/i18n';
import { PartnerSelect } from './PartnerSelect';

type Result = Extract<
  SubmitReconciliationMutation['submitReconciliation'],
  { __typename: 'Reconciliation' }
>;
/** The API takes CSV text up to 48 KiB; larger files go through `npm run settlement -- reconcile`. */
const csvBytesMax = 48 * 1024;

/** Upload a partner's CSV, see what does not match, resolve each exception with an adjustment. */
export function Reconciliation({
  periodId,
  partners,
  fixedPartnerId,
}: {
  periodId: string;
  partners: { id: string; name: string }[];
  fixedPartnerId: string | null;
}) {
  const { t, number } = useI18n();
  const id = useId();
  const [partnerId, setPartnerId] = useState(fixedPartnerId ?? partners[0]?.id ?? '');
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<Result | null>(null);
  const [problem, setProblem] = useState<ErrorResult | string | null>(null);
  const [resolvedIds, setResolvedIds] = useState<Record<string, string>>({});
  const [submitting, submit] = useMutation(SubmitReconciliationDocument);
  const [resolving, resolve] = useMutation(ResolveReconciliationExceptionDocument);

  const send = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    if (!file) return;
    if (file.size > csvBytesMax) return setProblem(`The file is over ${csvBytesMax} bytes`);
    const answer = (
      await submit({
        input: { periodId, partnerId: fixedPartnerId ? null : partnerId, csv: await file.text() },
      })
    ).data?.submitReconciliation;
    if (answer?.__typename === 'Reconciliation') setResult(answer);
    else if (isErrorResult(answer)) setProblem(answer);
  };

  const resolveException = async (exceptionId: string) => {
    const answer = (await resolve({ input: { exceptionId } })).data?.resolveReconciliationException;
    if (answer?.__typename === 'SettlementAdjustment') {
      setResolvedIds({ ...resolvedIds, [exceptionId]: answer.transferId });
    } else if (isErrorResult(answer)) setProblem(answer);
  };

  const exceptions = result?.items.nodes.filter((item) => item.status !== 'matched') ?? [];
  const money = (value: { amount: string; currency: string } | null) =>
    value ? `${number(value.amount)} ${value.currency}` : '—';
  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('reconciliation')}</h2>
      <form className="row" onSubmit={send}>
        {fixedPartnerId === null && (
          <PartnerSelect
            id={`${id}-partner`}
            partners={partners}
            value={partnerId}
            onChange={setPartnerId}
          />
        )}
        <div className="field">
          <label htmlFor={`${id}-file`}>{t('uploadCsv')}</label>
          <input
            id={`${id}-file`}
            type="file"
            accept=".csv,text/csv"
            required
            onChange={(event) => setFile(event.target.files?.[0] ?? null)}
          />
        </div>
        <button type="submit" disabled={submitting.fetching}>
          {t('submit')}
        </button>
      </form>
      <ErrorMessage error={submitting.error ?? resolving.error ?? problem} />
      {result && (
        <>
          <h3>{t('exceptions')}</h3>
          {exceptions.length === 0 && <p>{t('noExceptions')}</p>}
          <ul className="cards" data-testid="exceptions">
            {exceptions.map((item) => (
              <li key={item.id} className="card" data-testid={`exception-${item.reference}`}>
                <h4>
                  {item.reference}: {item.status}
                </h4>
                <dl>
                  <dt>{t('ours')}</dt>
                  <dd>{money(item.ours)}</dd>
                  <dt>{t('theirs')}</dt>
                  <dd>{money(item.theirs)}</dd>
                </dl>
                {resolvedIds[item.id] || item.adjustmentTransferId ? (
                  <p role="status">
                    {t('resolved')}: {resolvedIds[item.id] ?? item.adjustmentTransferId}
                  </p>
                ) : (
                  <button
                    type="button"
                    onClick={() => resolveException(item.id)}
                    aria-label={`${t('resolve')}: ${item.reference}`}
                  >
                    {t('resolve')}
                  </button>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
