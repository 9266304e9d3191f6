import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { type CombinedError, useClient } from 'urql';
import {
  WalletHistoryDocument,
  type WalletHistoryQuery,
  type WalletQuery,
} from '../generated/graphql';
import { ErrorMessage } from '../shared/errors';
import { useI18n } from '../shared/i18n';
import { PointsChart } from './PointsChart';

type Entry = WalletHistoryQuery['wallet']['history']['entries'][number];
/** Entries per page; the API allows up to 100. */
const pageSize = 20;

/** The history, newest first, with why each change happened; the next page loads as the member scrolls. */
export function History({
  version,
  balances,
}: {
  version: number;
  balances: WalletQuery['wallet']['balances'];
}) {
  const { t, number, date } = useI18n();
  const id = useId();
  const client = useClient();
  const [entries, setEntries] = useState<Entry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(true);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<CombinedError | null>(null);
  const sentinel = useRef<HTMLLIElement>(null);
  const busy = useRef(false);

  const load = useCallback(
    async (after: string | null, replace: boolean) => {
      if (busy.current) return;
      busy.current = true;
      setLoading(true);
      const result = await client
        .query(WalletHistoryDocument, { first: pageSize, after })
        .toPromise();
      busy.current = false;
      setLoading(false);
      if (result.error || !result.data) {
        setError(result.error ?? null);
        return;
      }
      setError(null);
      const page = result.data.wallet.history;
      setEntries((current) => (replace ? page.entries : [...current, ...page.entries]));
      setCursor(page.pageInfo.endCursor);
      setHasMore(page.pageInfo.hasNextPage);
    },
    [client],
  );

  // The first page, again whenever the wallet changed (a conversion, a redemption).
  // biome-ignore lint/correctness/useExhaustiveDependencies: version is the reason to reload.
  useEffect(() => {
    load(null, true);
  }, [load, version]);

  useEffect(() => {
    const node = sentinel.current;
    if (!node || !hasMore) return;
    const observer = new IntersectionObserver((seen) => {
      if (seen.some((entry) => entry.isIntersecting)) load(cursor, false);
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [cursor, hasMore, load]);

  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('history')}</h2>
      <PointsChart entries={entries} balances={balances} />
      <ErrorMessage error={error} onRetry={() => load(cursor, false)} />
      <ol className="history" data-testid="history">
        {entries.map((entry) => (
          <li key={entry.id} data-testid="history-entry" data-code={entry.code}>
            <span className="why">{entry.description}</span>
            <time dateTime={entry.createdAt}>{date(entry.createdAt, true)}</time>
            <span className="changes">
              {entry.changes.map((change) => (
                <bdi
                  key={change.currency}
                  className={change.available.startsWith('-') ? 'minus' : 'plus'}
                >
                  {number(change.available)} {change.currency}{' '}
                </bdi>
              ))}
            </span>
          </li>
        ))}
        <li ref={sentinel} className="sentinel">
          {hasMore ? (
            <button type="button" onClick={() => load(cursor, false)} disabled={loading}>
              {loading ? t('loading') : t('loadMore')}
            </button>
          ) : (
            t('noMoreHistory')
          )}
        </li>
      </ol>
    </section>
  );
}
