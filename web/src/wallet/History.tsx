import { useCallback, useEffect, useRef, useState } from 'react';
import { useClient } from 'urql';
import { WalletHistoryDocument, type WalletHistoryQuery } from '../generated/graphql';
import { errorMessage } from '../shared/client';
import { ErrorNotice, Loading } from '../shared/components';
import { useI18n } from '../shared/i18n';

type Entry = WalletHistoryQuery['wallet']['history']['entries'][number];
const pageSize = 20;

/** Every change with why it happened, newest first, loaded page by page as the member scrolls. */
export function History() {
  const { t, dateTime, money } = useI18n();
  const client = useClient();
  const [entries, setEntries] = useState<Entry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(true);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string>();
  const sentinel = useRef<HTMLDivElement>(null);
  const loadingRef = useRef(false);

  const loadMore = useCallback(async () => {
    if (loadingRef.current || !hasMore) return;
    loadingRef.current = true;
    setLoading(true);
    const result = await client
      .query(
        WalletHistoryDocument,
        { first: pageSize, after: cursor },
        { requestPolicy: 'network-only' },
      )
      .toPromise();
    loadingRef.current = false;
    setLoading(false);
    if (result.error || !result.data) {
      setError(errorMessage(result.error) ?? t('error.unknown'));
      return;
    }
    const page = result.data.wallet.history;
    setEntries((previous) => [...previous, ...page.entries]);
    setCursor(page.pageInfo.endCursor);
    setHasMore(page.pageInfo.hasNextPage);
  }, [client, cursor, hasMore, t]);

  // The next page loads when the end of the list scrolls into view.
  useEffect(() => {
    const target = sentinel.current;
    if (!target || !hasMore) return;
    const observer = new IntersectionObserver((seen) => {
      if (seen.some((entry) => entry.isIntersecting)) void loadMore();
    });
    observer.observe(target);
    return () => observer.disconnect();
  }, [loadMore, hasMore]);

  return (
    <section aria-labelledby="history-title">
      <h1 id="history-title">{t('wallet.history.title')}</h1>
      <ErrorNotice message={error} />
      <ol className="history" aria-busy={loading}>
        {entries.map((entry) => (
          <li key={entry.id} className="entry" data-testid="history-entry">
            <div className="entry-head">
              <span className="why">{entry.description}</span>
              <time dateTime={entry.createdAt} className="muted">
                {dateTime(entry.createdAt)}
              </time>
            </div>
            <div className="entry-body">
              <span className="badge">{t(`code.${entry.code}`)}</span>
              {entry.purchase && (
                <span className="muted">
                  {t('wallet.history.purchase', {
                    amount: money(entry.purchase.amount, entry.purchase.currency),
                  })}
                </span>
              )}
              <Changes changes={entry.changes} />
            </div>
          </li>
        ))}
      </ol>
      {!loading && entries.length === 0 && !hasMore && <p>{t('wallet.history.empty')}</p>}
      {loading && <Loading />}
      <div ref={sentinel} />
      {hasMore && !loading && (
        <button type="button" onClick={() => void loadMore()}>
          {t('wallet.history.more')}
        </button>
      )}
    </section>
  );
}

function Changes({ changes }: { changes: Entry['changes'] }) {
  const { t, points } = useI18n();
  const signed = (value: string) =>
    value.startsWith('-') ? `−${points(value.slice(1))}` : `+${points(value)}`;
  return (
    <ul className="changes">
      {changes.map((change) => (
        <li key={change.currency}>
          {change.available !== '0' && (
            <span className={change.available.startsWith('-') ? 'minus' : 'plus'}>
              {signed(change.available)} {change.currency}
            </span>
          )}
          {change.pending !== '0' && (
            <span className="muted">
              {' '}
              {t('wallet.history.pendingChange', {
                points: signed(change.pending),
                currency: change.currency,
              })}
            </span>
          )}
          {change.held !== '0' && (
            <span className="muted">
              {' '}
              {t('wallet.history.heldChange', {
                points: signed(change.held),
                currency: change.currency,
              })}
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}
