import { useQuery } from 'urql';
import { WalletHistoryDocument, type WalletQuery } from '../generated/graphql';
import { useI18n } from '../shared/i18n';

const width = 320;
const height = 120;
const colors = ['#1d4ed8', '#b45309', '#047857', '#7c3aed'];

/**
 * Spendable points over time per program, from the latest 100 changes: the balance now, walked
 * back through each change. Integers stay BigInt until scaled to the drawing.
 */
export function PointsChart({ balances }: { balances: WalletQuery['wallet']['balances'] }) {
  const { t, points, date } = useI18n();
  const [history] = useQuery({ query: WalletHistoryDocument, variables: { first: 100 } });
  const entries = history.data?.wallet.history.entries;
  if (!entries || entries.length === 0) return null;
  const series = balances.map((balance) => {
    let level = BigInt(balance.available);
    const steps: { at: number; points: bigint }[] = [{ at: Date.now(), points: level }];
    for (const entry of entries) {
      const change = entry.changes.find((c) => c.currency === balance.currency);
      if (!change) continue;
      steps.push({ at: new Date(entry.createdAt).getTime(), points: level });
      level -= BigInt(change.available);
      steps.push({ at: new Date(entry.createdAt).getTime() - 1, points: level });
    }
    return { currency: balance.currency, steps: steps.reverse() };
  });
  const times = series.flatMap((s) => s.steps.map((step) => step.at));
  const first = Math.min(...times);
  const last = Math.max(...times);
  const top = series
    .flatMap((s) => s.steps.map((step) => step.points))
    .reduce((a, b) => (b > a ? b : a), 1n);
  const x = (at: number) => (last === first ? 0 : ((at - first) / (last - first)) * width);
  const y = (value: bigint) => height - Number((value * 1000n) / top) * (height / 1000);
  const summary = series
    .map((s) =>
      t('wallet.chart.series', { currency: s.currency, points: points(s.steps.at(-1)!.points) }),
    )
    .join('; ');
  return (
    <figure className="chart">
      <figcaption>
        {t('wallet.chart.title', { from: date(new Date(first).toISOString()) })}
      </figcaption>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={summary}
        preserveAspectRatio="none"
      >
        {series.map((s, index) => (
          <polyline
            key={s.currency}
            fill="none"
            stroke={colors[index % colors.length]}
            strokeWidth="2"
            vectorEffect="non-scaling-stroke"
            points={s.steps
              .map((step) => `${x(step.at).toFixed(1)},${y(step.points).toFixed(1)}`)
              .join(' ')}
          />
        ))}
      </svg>
      <ul className="legend">
        {series.map((s, index) => (
          <li key={s.currency}>
            <span className="swatch" style={{ background: colors[index % colors.length] }} />
            {s.currency}
          </li>
        ))}
      </ul>
    </figure>
  );
}
