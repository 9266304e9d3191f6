import { useState } from 'react';
import { useClient, useQuery } from 'urql';
import { StatementCsvDocument, StatementDocument } from '../generated/graphql';
import { errorMessage } from '../shared/client';
import { ErrorNotice, Loading } from '../shared/components';
import { useI18n } from '../shared/i18n';
import { type FinanceScope, PartnerSelect, usePartner } from './App';

const pageSize = 25;
/** The API's largest CSV page. */
const csvPageSize = 1000;

/** A partner's statement of a period: totals per counterparty, lines paged, and the CSV. */
export function Statement({ periodId, scope }: { periodId: string; scope: FinanceScope }) {
  const { t, money, points, dateTime, number } = useI18n();
  const client = useClient();
  const [partnerId, setPartnerId] = usePartner(scope);
  // Cursors of the pages seen so far: "previous" pops one.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [downloading, setDownloading] = useState(false);
  const [failure, setFailure] = useState<string>();
  const after = cursors.at(-1) ?? null;
  const [statement] = useQuery({
    query: StatementDocument,
    variables: { periodId, partnerId: scope.operator ? partnerId : null, first: pageSize, after },
  });
  const data = statement.data?.statement;

  const download = async () => {
    setDownloading(true);
    setFailure(undefined);
    const parts: string[] = [];
    let cursor: string | null = null;
    try {
      do {
        const result = await client
          .query(StatementCsvDocument, {
            periodId,
            partnerId: scope.operator ? partnerId : null,
            first: csvPageSize,
            after: cursor,
          })
          .toPromise();
        if (!result.data) throw new Error(errorMessage(result.error) ?? t('error.unknown'));
        parts.push(result.data.statementCsv.text);
        cursor = result.data.statementCsv.pageInfo.hasNextPage
          ? result.data.statementCsv.pageInfo.endCursor
          : null;
      } while (cursor);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(new Blob(parts, { type: 'text/csv;charset=utf-8' }));
      link.download = `statement-${periodId}-${partnerId}.csv`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (error) {
      setFailure((error as Error).message);
    } finally {
      setDownloading(false);
    }
  };

  return (
    <>
      <PartnerSelect
        scope={scope}
        value={partnerId}
        onChange={(id) => {
          setPartnerId(id);
          setCursors([null]);
        }}
      />
      <ErrorNotice message={errorMessage(statement.error) ?? failure} />
      {!data && statement.fetching && <Loading />}
      {data && (
        <>
          <button type="button" onClick={() => void download()} disabled={downloading}>
            {t('finance.statement.download')}
          </button>
          <h2>{t('finance.statement.totals')}</h2>
          <div className="table-wrap">
            <table data-testid="totals">
              <thead>
                <tr>
                  <th scope="col">{t('finance.counterparty')}</th>
                  <th scope="col" className="number">
                    {t('finance.statement.lines')}
                  </th>
                  <th scope="col" className="number">
                    {t('finance.settlement.receivable')}
                  </th>
                  <th scope="col" className="number">
                    {t('finance.settlement.payable')}
                  </th>
                  <th scope="col" className="number">
                    {t('finance.settlement.net')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.totals.map((total) => (
                  <tr key={`${total.counterpartyId}-${total.net.currency}`}>
                    <th scope="row">{total.counterpartyId}</th>
                    <td className="number">{points(total.lineCount)}</td>
                    <td className="number">
                      {money(total.receivable.amount, total.receivable.currency)}
                    </td>
                    <td className="number">
                      {money(total.payable.amount, total.payable.currency)}
                    </td>
                    <td className="number">{money(total.net.amount, total.net.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>{t('finance.statement.linesTitle', { page: number(cursors.length) })}</h2>
          <div className="table-wrap">
            <table data-testid="lines">
              <thead>
                <tr>
                  <th scope="col">{t('finance.statement.reference')}</th>
                  <th scope="col">{t('finance.statement.kind')}</th>
                  <th scope="col">{t('finance.counterparty')}</th>
                  <th scope="col" className="number">
                    {t('finance.statement.points')}
                  </th>
                  <th scope="col" className="number">
                    {t('finance.statement.amount')}
                  </th>
                  <th scope="col">{t('finance.statement.when')}</th>
                </tr>
              </thead>
              <tbody>
                {data.lines.nodes.map((line) => (
                  <tr key={`${line.transferId}-${line.kind}-${line.counterpartyId}`}>
                    <td>{line.reference}</td>
                    <td>{t(`obligation.${line.kind}`)}</td>
                    <td>{line.counterpartyId}</td>
                    <td className="number">
                      {points(line.points)} {line.currency}
                    </td>
                    <td className="number">{money(line.amount.amount, line.amount.currency)}</td>
                    <td>{dateTime(line.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="toolbar">
            <button
              type="button"
              disabled={cursors.length === 1}
              onClick={() => setCursors(cursors.slice(0, -1))}
            >
              {t('common.previous')}
            </button>
            <button
              type="button"
              disabled={!data.lines.pageInfo.hasNextPage}
              onClick={() => setCursors([...cursors, data.lines.pageInfo.endCursor])}
            >
              {t('common.next')}
            </button>
          </div>
        </>
      )}
    </>
  );
}
