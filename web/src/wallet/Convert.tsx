import { type FormEvent, useEffect, useState } from 'react';
import { useMutation } from 'urql';
import {
  ConvertPointsDocument,
  type ConvertPointsMutation,
  QuoteConversionDocument,
  type QuoteConversionMutation,
  type WalletQuery,
} from '../generated/graphql';
import { errorMessage } from '../shared/client';
import { ErrorNotice } from '../shared/components';
import { useI18n } from '../shared/i18n';

type Quote = Extract<QuoteConversionMutation['quoteConversion'], { __typename: 'ConversionQuote' }>;
type Converted = Extract<
  ConvertPointsMutation['convertPoints'],
  { __typename: 'ConvertPointsSuccess' }
>;

/** What the hash asked for: `#/convert?from=HTL&to=SKY&points=3000` (from a reward's hint). */
function asked(): { from?: string; to?: string; points?: string } {
  const query = location.hash.split('?')[1];
  const parameters = new URLSearchParams(query ?? '');
  return {
    from: parameters.get('from') ?? undefined,
    to: parameters.get('to') ?? undefined,
    points: parameters.get('points') ?? undefined,
  };
}

/** Convert between programs: a quote first, shown with its expiry counting down, then convert. */
export function Convert({
  balances,
  onConverted,
}: {
  balances: WalletQuery['wallet']['balances'];
  onConverted(): void;
}) {
  const { t, points } = useI18n();
  const pairs = balances.flatMap((b) =>
    b.convertsTo.map((c) => ({ from: b.currency, to: c.targetCurrency, largest: c.sourcePoints })),
  );
  const initial = asked();
  const [pair, setPair] = useState(() => {
    const wanted = pairs.find((p) => p.from === initial.from && p.to === initial.to) ?? pairs[0];
    return wanted ? `${wanted.from}>${wanted.to}` : '';
  });
  const [amount, setAmount] = useState(initial.points ?? '');
  const [quote, setQuote] = useState<Quote>();
  const [converted, setConverted] = useState<Converted>();
  const [failure, setFailure] = useState<string>();
  const [quoting, quoteConversion] = useMutation(QuoteConversionDocument);
  const [converting, convertPoints] = useMutation(ConvertPointsDocument);
  const [from, to] = pair.split('>') as [string, string];
  const largest = pairs.find((p) => p.from === from && p.to === to)?.largest;

  const requestQuote = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(undefined);
    setConverted(undefined);
    setQuote(undefined);
    const result = await quoteConversion({
      input: { sourceCurrency: from, targetCurrency: to, sourcePoints: amount.trim() },
    });
    const answer = result.data?.quoteConversion;
    if (answer?.__typename === 'ConversionQuote') setQuote(answer);
    else setFailure(answer && 'message' in answer ? answer.message : errorMessage(result.error));
  };

  const convert = async () => {
    if (!quote) return;
    setFailure(undefined);
    const result = await convertPoints({
      input: { quoteId: quote.id, sourcePoints: quote.sourcePoints, idempotencyKey: quote.id },
    });
    const answer = result.data?.convertPoints;
    if (answer?.__typename === 'ConvertPointsSuccess') {
      setConverted(answer);
      setQuote(undefined);
      onConverted();
    } else {
      setFailure(answer && 'message' in answer ? answer.message : errorMessage(result.error));
    }
  };

  if (pairs.length === 0) return <p>{t('wallet.convert.none')}</p>;
  return (
    <section aria-labelledby="convert-title">
      <h1 id="convert-title">{t('wallet.convert.title')}</h1>
      <form onSubmit={requestQuote} className="form">
        <label htmlFor="convert-pair">{t('wallet.convert.pair')}</label>
        <select id="convert-pair" value={pair} onChange={(event) => setPair(event.target.value)}>
          {pairs.map((p) => (
            <option key={`${p.from}>${p.to}`} value={`${p.from}>${p.to}`}>
              {t('wallet.convert.pairOption', { from: p.from, to: p.to })}
            </option>
          ))}
        </select>
        <label htmlFor="convert-points">{t('wallet.convert.points', { currency: from })}</label>
        <input
          id="convert-points"
          name="points"
          inputMode="numeric"
          pattern="[0-9]*"
          required
          value={amount}
          onChange={(event) => setAmount(event.target.value)}
          aria-describedby="convert-largest"
        />
        {largest !== undefined && (
          <p id="convert-largest" className="muted">
            {t('wallet.convert.largest', { points: points(largest), currency: from })}
          </p>
        )}
        <button type="submit" disabled={quoting.fetching}>
          {t('wallet.convert.quote')}
        </button>
      </form>
      <ErrorNotice message={failure} />
      {quote && <QuoteCard quote={quote} busy={converting.fetching} onConvert={convert} />}
      {converted && (
        <p role="status" className="ok" data-testid="converted">
          {t('wallet.convert.done', {
            source: `${points(converted.sourcePoints)} ${converted.sourceCurrency}`,
            target: `${points(converted.targetPoints)} ${converted.targetCurrency}`,
          })}
        </p>
      )}
    </section>
  );
}

function QuoteCard(props: { quote: Quote; busy: boolean; onConvert(): void }) {
  const { t, points, number } = useI18n();
  const { quote } = props;
  // Counted from when the quote arrived, for as long as the server gave it: the browser's
  // clock may differ from the server's.
  const [arrivedAt] = useState(() => performance.now());
  const validMs = new Date(quote.expiresAt).getTime() - new Date(quote.createdAt).getTime();
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(performance.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const secondsLeft = Math.max(0, Math.ceil((validMs - (now - arrivedAt)) / 1000));
  return (
    <div className="card quote" data-testid="quote">
      <h2 className="h3">{t('wallet.convert.quoteTitle')}</h2>
      <dl className="facts">
        <dt>{t('wallet.convert.youGive')}</dt>
        <dd>
          {points(quote.totalSourcePoints)} {quote.sourceCurrency}
        </dd>
        <dt>{t('wallet.convert.fee')}</dt>
        <dd>
          {points(quote.feePoints)} {quote.sourceCurrency}
        </dd>
        <dt>{t('wallet.convert.youGet')}</dt>
        <dd data-testid="quote-target">
          {points(quote.targetPoints)} {quote.targetCurrency}
        </dd>
      </dl>
      {/* The countdown is read on demand, not announced every second. */}
      <p className={secondsLeft > 10 ? 'muted' : 'warn'} data-testid="quote-expiry">
        {secondsLeft > 0
          ? t('wallet.convert.expiresIn', { seconds: number(secondsLeft) })
          : t('wallet.convert.expired')}
      </p>
      <button
        type="button"
        className="primary"
        disabled={secondsLeft === 0 || props.busy}
        onClick={props.onConvert}
      >
        {t('wallet.convert.confirm')}
      </button>
    </div>
  );
}
