import { useQuery } from 'urql';
import { PeriodSettlementDocument, type PeriodSettlementQuery } from '../generated/graphql';
import { errorMessage } from '../shared/client';
import { ErrorNotice, Loading } from '../shared/components';
import { useI18n } from '../shared/i18n';

type Settled = PeriodSettlementQuery['periodSettlement'];

/** A closed period's net positions per party, the payment instructions, and who pays whom. */
export function Settlement({ periodId }: { periodId: string }) {
  const { t, money } = useI18n();
  const [settlement] = useQuery({ query: PeriodSettlementDocument, variables: { periodId } });
  const data = settlement.data?.periodSettlement;
  return (
    <>
      <ErrorNotice message={errorMessage(settlement.error)} />
      {!data && settlement.fetching && <Loading />}
      {data && (
        <>
          <h2>{t('finance.settlement.positions')}</h2>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('finance.party')}</th>
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
                {data.positions.map((row) => (
                  <tr key={`${row.partyId}-${row.position.currency}`}>
                    <th scope="row">{row.partyId}</th>
                    <td className="number">
                      {money(row.receivable.amount, row.receivable.currency)}
                    </td>
                    <td className="number">{money(row.payable.amount, row.payable.currency)}</td>
                    <td className="number">{money(row.position.amount, row.position.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>{t('finance.settlement.payments')}</h2>
          {data.payments.length === 0 && <p>{t('finance.settlement.noPayments')}</p>}
          <ul data-testid="payments">
            {data.payments.map((payment) => (
              <li key={`${payment.payerId}-${payment.payeeId}-${payment.amount.currency}`}>
                {t('finance.settlement.pays', {
                  payer: payment.payerId,
                  payee: payment.payeeId,
                  amount: money(payment.amount.amount, payment.amount.currency),
                })}
              </li>
            ))}
          </ul>
          {data.payments.length > 0 && <PaymentsDiagram settled={data} />}
        </>
      )}
    </>
  );
}

const size = 360;
const radius = 130;

/** Parties on a circle, an arrow from each payer to its payee; the list above says the same. */
function PaymentsDiagram({ settled }: { settled: Settled }) {
  const { t, money } = useI18n();
  const parties = [...new Set(settled.positions.map((row) => row.partyId))].sort();
  const at = (party: string) => {
    const angle = (2 * Math.PI * parties.indexOf(party)) / parties.length - Math.PI / 2;
    return { x: size / 2 + radius * Math.cos(angle), y: size / 2 + radius * Math.sin(angle) };
  };
  return (
    <figure>
      <figcaption>{t('finance.settlement.diagram')}</figcaption>
      <svg
        className="diagram"
        viewBox={`0 0 ${size} ${size}`}
        role="img"
        aria-label={t('finance.settlement.diagramLabel')}
      >
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="8"
            markerHeight="8"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#1d4ed8" />
          </marker>
        </defs>
        {settled.payments.map((payment) => {
          const from = at(payment.payerId);
          const to = at(payment.payeeId);
          const shorten = 0.82;
          const x2 = from.x + (to.x - from.x) * shorten;
          const y2 = from.y + (to.y - from.y) * shorten;
          return (
            <g key={`${payment.payerId}-${payment.payeeId}-${payment.amount.currency}`}>
              <line
                x1={from.x}
                y1={from.y}
                x2={x2}
                y2={y2}
                stroke="#1d4ed8"
                strokeWidth="2"
                markerEnd="url(#arrow)"
              />
              <text
                x={(from.x + to.x) / 2}
                y={(from.y + to.y) / 2 - 4}
                fontSize="11"
                textAnchor="middle"
                fill="#1a1a1a"
              >
                {money(payment.amount.amount, payment.amount.currency)}
              </text>
            </g>
          );
        })}
        {parties.map((party) => {
          const point = at(party);
          return (
            <g key={party}>
              <circle cx={point.x} cy={point.y} r="6" fill="#1a1a1a" />
              <text
                x={point.x}
                y={point.y + (point.y > size / 2 ? 20 : -12)}
                fontSize="12"
                textAnchor="middle"
                fill="#1a1a1a"
              >
                {party}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
