import { useId, useState } from 'react';
import { useClient, useQuery } from 'urql';
import { StatementCsvDocument, StatementDocument } from '../generated/graphql';
import { ErrorMessage } from '../shared/errors';
import { useI18n } from '../shared/i18n';
import { PartnerSelect } from './PartnerSelect';

/** Lines per page of the statement table. */
const linesPerPage = 20;

/** A partner's statement of a closed period: totals, its lines a page at a time, the CSV. */
export function StatementView({
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
  const client = useClient();
  const [choice, setChoice] = useState(fixedPartnerId ?? partners[0]?.id ?? '');
  const [partnerId, setPartnerId] = useState<string | null>(fixedPartnerId);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [downloadError, setDownloadError] = useState<Error | null>(null);
  const after = cursors.at(-1) ?? null;
  const [statement] = useQuery({
    query: StatementDocument,
    variables: { periodId, partnerId, first: linesPerPage, after },
    pause: partnerId === null,
  });

  const download = async () => {
    setDownloadError(null);
    let text = '';
    let cursor = null as string | null;
    // Page by page, as the API serves it; the file is assembled in the browser.
    do {
      const result = await client
        .query(StatementCsvDocument, { periodId, partnerId, after: cursor })
        .toPromise();
      if (!result.data) return setDownloadError(result.error ?? new Error('no CSV'));
      text += result.data.statementCsv.text;
      cursor = result.data.statementCsv.pageInfo.hasNextPage
        ? result.data.statementCsv.pageInfo.endCursor
        : null;
    } while (cursor);
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
    link.download = `statement-${periodId}-${partnerId}.csv`;
    link.click();
    URL.revokeObjectURL(link.href);
  };

  const data = statement.data?.statement;
  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('statement')}</h2>
      {fixedPartnerId === null && (
        <div className="row">
          <PartnerSelect
            id={`${id}-partner`}
            partners={partners}
            value={choice}
            onChange={setChoice}
          />
          <button
            type="button"
            onClick={() => {
              setPartnerId(choice);
              setCursors([null]);
            }}
          >
            {t('openStatement')}
          </button>
        </div>
      )}
      <ErrorMessage error={statement.error ?? downloadError} />
      {data && (
        <>
          <div className="table-scroll">
            <table data-testid="statement-lines">
              <caption>
                {t('lines')} ({data.partnerId})
              </caption>
              <thead>
                <tr>
                  <th scope="col">{t('reference')}</th>
                  <th scope="col">{t('kind')}</th>
                  <th scope="col">{t('counterparty')}</th>
                  <th scope="col">{t('points')}</th>
                  <th scope="col">{t('money')}</th>
                </tr>
              </thead>
              <tbody>
                {data.lines.nodes.map((line) => (
                  <tr key={`${line.transferId}-${line.counterpartyId}-${line.kind}`}>
                    <td>{line.reference}</td>
                    <td>{line.kind}</td>
                    <td>{line.counterpartyId}</td>
                    <td className="number">
                      {number(line.points)} {line.currency}
                    </td>
                    <td className="number">
                      {number(line.amount.amount)} {line.amount.currency}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="row">
            {data.lines.pageInfo.hasNextPage && (
              <button
                type="button"
                onClick={() => setCursors([...cursors, data.lines.pageInfo.endCursor])}
              >
                {t('nextPage')}
              </button>
            )}
            <button type="button" onClick={download}>
              {t('downloadCsv')}
            </button>
          </div>
        </>
      )}
    </section>
  );
}
