import { useQuery } from 'urql';
import { PeriodSettlementDocument, type PeriodSettlementQuery } from '../generated/graphql';
import { ErrorMessage } from '../shared/errors';
import { useI18n } from '../shared/i18n';

type Payment = PeriodSettlementQuery['periodSettlement']['payments'][number];

/** A closed period netted: each party's position and the payments that settle them, drawn. */
export function PeriodSettlementView({ periodId }: { periodId: string }) {
  const { t, number } = useI18n();
  const [settlement] = useQuery({ query: PeriodSettlementDocument, variables: { periodId } });
  if (settlement.error) return <ErrorMessage error={settlement.error} />;
  if (!settlement.data) return <p>{t('loading')}</p>;
  const { positions, payments } = settlement.data.periodSettlement;
  const money = (value: { amount: string; currency: string }) =>
    `${number(value.amount)} ${value.currency}`;
  return (
    <section aria-labelledby="positions">
      <h2 id="positions">{t('positions')}</h2>
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('party')}</th>
              <th scope="col">{t('receivable')}</th>
              <th scope="col">{t('payable')}</th>
              <th scope="col">{t('position')}</th>
            </tr>
          </thead>
          <tbody>
            {positions.map((row) => (
              <tr key={`${row.partyId}-${row.position.currency}`}>
                <td>{row.partyId}</td>
                <td className="number">{money(row.receivable)}</td>
                <td className="number">{money(row.payable)}</td>
                <td className="number">{money(row.position)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>{t('payments')}</h3>
      <ul data-testid="payments">
        {payments.map((payment) => (
          <li key={`${payment.payerId}-${payment.payeeId}-${payment.amount.currency}`}>
            {t('pays', {
              payer: payment.payerId,
              payee: payment.payeeId,
              amount: money(payment.amount),
            })}
          </li>
        ))}
      </ul>
      <PaymentDiagram payments={payments} />
    </section>
  );
}

/** Who pays whom: payers on one side, payees on the other, an arrow per payment. */
function PaymentDiagram({ payments }: { payments: Payment[] }) {
  const { t, number } = useI18n();
  if (payments.length === 0) return null;
  const payers = [...new Set(payments.map((p) => p.payerId))];
  const payees = [...new Set(payments.map((p) => p.payeeId))];
  const rowHeight = 36;
  const height = Math.max(payers.length, payees.length) * rowHeight + 16;
  const y = (list: string[], id: string) => 24 + list.indexOf(id) * rowHeight;
  const description = payments
    .map((p) =>
      t('pays', {
        payer: p.payerId,
        payee: p.payeeId,
        amount: `${p.amount.amount} ${p.amount.currency}`,
      }),
    )
    .join('; ');
  return (
    <figure className="diagram">
      <svg
        viewBox={`0 0 480 ${height}`}
        role="img"
        aria-label={`${t('whoPaysWhom')}: ${description}`}
      >
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="8"
            markerHeight="8"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" fill="#1f5fa8" />
          </marker>
        </defs>
        {payments.map((p) => (
          <g key={`${p.payerId}-${p.payeeId}-${p.amount.currency}`}>
            <line
              x1="140"
              y1={y(payers, p.payerId)}
              x2="340"
              y2={y(payees, p.payeeId)}
              stroke="#1f5fa8"
              strokeWidth="2"
              markerEnd="url(#arrow)"
            />
            <text
              x="240"
              y={(y(payers, p.payerId) + y(payees, p.payeeId)) / 2 - 4}
              textAnchor="middle"
              fontSize="12"
            >
              {number(p.amount.amount)} {p.amount.currency}
            </text>
          </g>
        ))}
        {payers.map((id) => (
          <text key={`payer-${id}`} x="132" y={y(payers, id) + 4} textAnchor="end" fontSize="13">
            {id}
          </text>
        ))}
        {payees.map((id) => (
          <text key={`payee-${id}`} x="348" y={y(payees, id) + 4} fontSize="13">
            {id}
          </text>
        ))}
      </svg>
      <figcaption>{t('whoPaysWhom')}</figcaption>
    </figure>
  );
}
