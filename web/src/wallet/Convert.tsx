import { type FormEvent, useEffect, useId, useState } from 'react';
import { useMutation } from 'urql';
import {
  ConvertPointsDocument,
  QuoteConversionDocument,
  type QuoteConversionMutation,
  type WalletQuery,
} from '../generated/graphql';
import { ErrorMessage, type ErrorResult, isErrorResult } from '../shared/errors';
import { useI18n } from '../shared/i18n';

type Quote = Extract<QuoteConversionMutation['quoteConversion'], { __typename: 'ConversionQuote' }>;

/** Converts between programs: a quote first, firm until its expiry (counted down), then the conversion. */
export function Convert({
  balances,
  onConverted,
}: {
  balances: WalletQuery['wallet']['balances'];
  onConverted: () => void;
}) {
  const { t, number } = useI18n();
  const id = useId();
  const sources = balances.filter((balance) => balance.convertsTo.length > 0);
  const [source, setSource] = useState(sources[0]?.currency ?? '');
  const targets = sources.find((balance) => balance.currency === source)?.convertsTo ?? [];
  const [target, setTarget] = useState(targets[0]?.targetCurrency ?? '');
  const [amount, setAmount] = useState('');
  const [quote, setQuote] = useState<Quote | null>(null);
  const [problem, setProblem] = useState<ErrorResult | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [quoting, askQuote] = useMutation(QuoteConversionDocument);
  const [converting, convert] = useMutation(ConvertPointsDocument);
  const secondsLeft = useCountdown(quote);

  useEffect(() => {
    if (!targets.some((preview) => preview.targetCurrency === target)) {
      setTarget(targets[0]?.targetCurrency ?? '');
    }
  }, [targets, target]);

  if (sources.length === 0) return null;

  const requestQuote = async (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    setProblem(null);
    setQuote(null);
    const result = await askQuote({
      input: { sourceCurrency: source, targetCurrency: target, sourcePoints: amount.trim() },
    });
    const answer = result.data?.quoteConversion;
    if (answer?.__typename === 'ConversionQuote') setQuote(answer);
    else if (isErrorResult(answer)) setProblem(answer);
  };

  const confirm = async () => {
    if (!quote) return;
    const result = await convert({
      input: { quoteId: quote.id, sourcePoints: quote.sourcePoints },
    });
    const answer = result.data?.convertPoints;
    setQuote(null);
    if (answer?.__typename === 'ConvertPointsSuccess') {
      setDone(
        t('converted', {
          target: number(answer.targetPoints),
          targetCurrency: answer.targetCurrency,
        }),
      );
      onConverted();
    } else if (isErrorResult(answer)) setProblem(answer);
  };

  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('convert')}</h2>
      <form onSubmit={requestQuote} className="row">
        <div className="field">
          <label htmlFor={`${id}-source`}>{t('convertFrom')}</label>
          <select
            id={`${id}-source`}
            value={source}
            onChange={(event) => setSource(event.target.value)}
          >
            {sources.map((balance) => (
              <option key={balance.currency} value={balance.currency}>
                {balance.currency}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-target`}>{t('convertTo')}</label>
          <select
            id={`${id}-target`}
            value={target}
            onChange={(event) => setTarget(event.target.value)}
          >
            {targets.map((preview) => (
              <option key={preview.targetCurrency} value={preview.targetCurrency}>
                {preview.targetCurrency}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-amount`}>{t('amount')}</label>
          <input
            id={`${id}-amount`}
            inputMode="numeric"
            pattern="[0-9]+"
            required
            value={amount}
            onChange={(event) => setAmount(event.target.value)}
          />
        </div>
        <button type="submit" disabled={quoting.fetching}>
          {t('getQuote')}
        </button>
      </form>
      <ErrorMessage error={quoting.error ?? converting.error ?? problem} />
      {quote && (
        <div className="quote" data-testid="quote">
          <p>
            {t('quote', {
              source: number(quote.sourcePoints),
              sourceCurrency: quote.sourceCurrency,
              fee: number(quote.feePoints),
              target: number(quote.targetPoints),
              targetCurrency: quote.targetCurrency,
            })}
          </p>
          {secondsLeft > 0 ? (
            <>
              <p aria-live="polite" data-testid="quote-countdown">
                {t('quoteExpiresIn', { seconds: number(secondsLeft) })}
              </p>
              <button type="button" onClick={confirm} disabled={converting.fetching}>
                {t('convert')}
              </button>
            </>
          ) : (
            <p role="status">{t('quoteExpired')}</p>
          )}
        </div>
      )}
      {done && (
        <p role="status" data-testid="converted">
          {done}
        </p>
      )}
    </section>
  );
}

/**
 * Whole seconds the quote stays firm, counted from when it arrived: its lifetime is the
 * gateway's expiresAt - createdAt, so a browser whose clock is off still counts right.
 */
function useCountdown(quote: { createdAt: string; expiresAt: string } | null): number {
  const [seconds, setSeconds] = useState(0);
  useEffect(() => {
    if (!quote) return setSeconds(0);
    const endsAtMs = performance.now() + Date.parse(quote.expiresAt) - Date.parse(quote.createdAt);
    const tick = () => setSeconds(Math.max(0, Math.ceil((endsAtMs - performance.now()) / 1000)));
    tick();
    const timer = setInterval(tick, 1000);
    return () => clearInterval(timer);
  }, [quote]);
  return seconds;
}
