import type { CombinedError } from 'urql';
import { useI18n } from './i18n';

/** A typed error result as every mutation's union returns it. */
export interface ErrorResult {
  code: string;
  message: string;
}

export function isErrorResult(value: unknown): value is ErrorResult {
  return typeof value === 'object' && value !== null && 'code' in value && 'message' in value;
}

/** What went wrong, in the gateway's words (its typed error's message), never a blank page. */
export function ErrorMessage({
  error,
  onRetry,
}: {
  error: CombinedError | ErrorResult | Error | string | undefined | null;
  onRetry?: () => void;
}) {
  const { t } = useI18n();
  if (!error) return null;
  const text =
    typeof error === 'string'
      ? error
      : 'graphQLErrors' in error && error.graphQLErrors.length > 0
        ? error.graphQLErrors.map((e) => e.message).join('; ')
        : 'networkError' in error && error.networkError
          ? error.networkError.message
          : error.message;
  return (
    <div role="alert" className="error">
      <strong>{t('error')}:</strong> {text}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          {t('retry')}
        </button>
      )}
    </div>
  );
}
