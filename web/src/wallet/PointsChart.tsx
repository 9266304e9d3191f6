import type { WalletHistoryQuery, WalletQuery } from '../generated/graphql';
import { useI18n } from '../shared/i18n';

type Entry = WalletHistoryQuery['wallet']['history']['entries'][number];
const width = 320;
const height = 120;
const colours = ['#1f5fa8', '#b34700', '#2e7d32', '#6a1b9a'];

/**
 * Available points per currency over the loaded history: walked back from today's balances,
 * undoing each entry's change, so the line ends at exactly the balance shown above it.
 */
export function PointsChart({
  entries,
  balances,
}: {
  entries: Entry[];
  balances: WalletQuery['wallet']['balances'];
}) {
  const { t, number } = useI18n();
  if (entries.length === 0) return null;
  const series = balances.map((balance) => {
    let points = BigInt(balance.available);
    const values = [points];
    for (const entry of entries) {
      const change = entry.changes.find((c) => c.currency === balance.currency);
      if (change) points -= BigInt(change.available);
      values.push(points);
    }
    return { currency: balance.currency, values: values.reverse().map(Number) };
  });
  const highest = Math.max(1, ...series.flatMap((s) => s.values));
  const step = width / Math.max(1, entries.length);
  const summary = series.map((s) => `${s.currency} ${number(s.values.at(-1) ?? 0)}`).join(', ');
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${t('chart')}: ${summary}`}>
        {series.map((s, index) => (
          <polyline
            key={s.currency}
            fill="none"
            stroke={colours[index % colours.length]}
            strokeWidth="2"
            points={s.values
              .map((v, i) => `${i * step},${height - (v / highest) * (height - 10)}`)
              .join(' ')}
          />
        ))}
      </svg>
      <figcaption>
        {t('chart')}:{' '}
        {series.map((s, index) => (
          <span key={s.currency} style={{ color: colours[index % colours.length] }}>
            ■ {s.currency}{' '}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
