import { type FormEvent, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import {
  ReconciliationsDocument,
  type ReconciliationsQuery,
  ResolveReconciliationExceptionDocument,
  SubmitReconciliationDocument,
} from '../generated/graphql';
import { errorMessage } from '../shared/client';
import { ErrorNotice, Loading } from '../shared/components';
import { useI18n } from '../shared/i18n';
import { type FinanceScope, PartnerSelect, usePartner } from './App';

type Detail = ReconciliationsQuery['reconciliations'][number];
type Item = Detail['items']['nodes'][number];
/** The API takes CSV text up to 48 KiB; larger files go through `npm run settlement -- reconcile`. */
const csvBytesMax = 48 * 1024;
/** Items shown of a reconciliation: the API's page size limit. */
const itemsFirst = 100;

/**
 * Reconciles a partner's records of a period with ours: upload their CSV (our statement file,
 * sent back, will do), see what does not match, and resolve each exception with an adjustment.
 */
export function Reconciliation({ periodId, scope }: { periodId: string; scope: FinanceScope }) {
  const { t } = useI18n();
  const [partnerId, setPartnerId] = usePartner(scope);
  const variables = { periodId, partnerId: scope.operator ? partnerId : null };
  const [list, refetch] = useQuery({
    query: ReconciliationsDocument,
    variables: { ...variables, itemsFirst },
  });
  const [submitting, submit] = useMutation(SubmitReconciliationDocument);
  const [file, setFile] = useState<File>();
  const [failure, setFailure] = useState<string>();
  const latest = list.data?.reconciliations.find((item) => item.partnerId === partnerId);

  const upload = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(undefined);
    if (!file) return;
    if (file.size > csvBytesMax) {
      setFailure(t('finance.reconciliation.tooLarge'));
      return;
    }
    const result = await submit({
      input: { ...variables, csv: await file.text(), idempotencyKey: crypto.randomUUID() },
      itemsFirst,
    });
    const answer = result.data?.submitReconciliation;
    if (answer && 'message' in answer) setFailure(answer.message);
    else if (result.error) setFailure(errorMessage(result.error));
    else refetch({ requestPolicy: 'network-only' });
  };

  return (
    <>
      <PartnerSelect scope={scope} value={partnerId} onChange={setPartnerId} />
      <form className="form" onSubmit={upload}>
        <label htmlFor="reconciliation-file">{t('finance.reconciliation.file')}</label>
        <input
          id="reconciliation-file"
          type="file"
          accept=".csv,text/csv"
          required
          onChange={(event) => setFile(event.target.files?.[0])}
        />
        <button type="submit" className="primary" disabled={submitting.fetching || !file}>
          {t('finance.reconciliation.upload')}
        </button>
      </form>
      <ErrorNotice message={failure ?? errorMessage(list.error)} />
      {!list.data && list.fetching && <Loading />}
      {list.data && !latest && <p>{t('finance.reconciliation.none')}</p>}
      {latest && (
        <ReconciliationResult
          reconciliation={latest}
          onResolved={() => refetch({ requestPolicy: 'network-only' })}
        />
      )}
    </>
  );
}

function ReconciliationResult(props: { reconciliation: Detail; onResolved(): void }) {
  const { t, points, money, dateTime } = useI18n();
  const { reconciliation } = props;
  const exceptions = reconciliation.items.nodes.filter((item) => item.status !== 'matched');
  return (
    <section aria-labelledby="reconciliation-result">
      <h2 id="reconciliation-result">
        {t('finance.reconciliation.result', {
          records: points(String(reconciliation.recordCount)),
          when: dateTime(reconciliation.createdAt),
        })}
      </h2>
      <div className="table-wrap">
        <table data-testid="reconciliation-totals">
          <thead>
            <tr>
              <th scope="col">{t('finance.reconciliation.status')}</th>
              <th scope="col" className="number">
                {t('finance.reconciliation.count')}
              </th>
              <th scope="col" className="number">
                {t('finance.reconciliation.ours')}
              </th>
              <th scope="col" className="number">
                {t('finance.reconciliation.theirs')}
              </th>
            </tr>
          </thead>
          <tbody>
            {reconciliation.totals.map((total) => (
              <tr key={`${total.status}-${total.ours.currency}`}>
                <th scope="row">{t(`reconciliation.${total.status}`)}</th>
                <td className="number">{points(total.count)}</td>
                <td className="number">{money(total.ours.amount, total.ours.currency)}</td>
                <td className="number">{money(total.theirs.amount, total.theirs.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>
        {t('finance.reconciliation.exceptions', { count: points(String(exceptions.length)) })}
      </h2>
      <ul className="cards">
        {exceptions.map((item) => (
          <ExceptionCard key={item.id} item={item} onResolved={props.onResolved} />
        ))}
      </ul>
    </section>
  );
}

function ExceptionCard({ item, onResolved }: { item: Item; onResolved(): void }) {
  const { t, money } = useI18n();
  const [resolving, resolve] = useMutation(ResolveReconciliationExceptionDocument);
  const [note, setNote] = useState('');
  const [failure, setFailure] = useState<string>();
  const noteId = `note-${item.id}`;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(undefined);
    const result = await resolve({ input: { exceptionId: item.id, note: note || null } });
    const answer = result.data?.resolveReconciliationException;
    if (answer && 'message' in answer) setFailure(answer.message);
    else if (result.error) setFailure(errorMessage(result.error));
    else onResolved();
  };
  return (
    <li className="card" data-testid={`exception-${item.reference}`}>
      <h3>{item.reference}</h3>
      <p>{t(`reconciliation.${item.status}`)}</p>
      <dl className="facts">
        <dt>{t('finance.reconciliation.ours')}</dt>
        <dd>{item.ours ? money(item.ours.amount, item.ours.currency) : '–'}</dd>
        <dt>{t('finance.reconciliation.theirs')}</dt>
        <dd>{item.theirs ? money(item.theirs.amount, item.theirs.currency) : '–'}</dd>
      </dl>
      {item.adjustmentTransferId ? (
        <p className="ok" data-testid="resolved">
          {t('finance.reconciliation.resolved', { transfer: item.adjustmentTransferId })}
        </p>
      ) : (
        <form className="form" onSubmit={submit}>
          <label htmlFor={noteId}>{t('finance.reconciliation.note')}</label>
          <input id={noteId} value={note} onChange={(event) => setNote(event.target.value)} />
          <button type="submit" disabled={resolving.fetching}>
            {t('finance.reconciliation.resolve')}
          </button>
          <ErrorNotice message={failure} />
        </form>
      )}
    </li>
  );
}
