import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { GraphQLContext } from '../graphql/context';
import {
  secondsSince,
  subgraphFailuresTotal,
  subgraphRequestDuration,
} from '../observability/metrics';
import { injectTraceContext, inSpan, SpanKind, SpanStatusCode } from '../observability/tracing';
import { type AssertionSigner, assertionHeader } from './assertions';
import { createHttpFetcher } from './http-fetcher';

/** How long the gateway waits for a partner subgraph before answering without its data. */
export const subgraphTimeoutMs = 2_000;
/** The error code of a partner's part of a query that could not be fetched. */
export const subgraphUnavailableCode = 'SUBGRAPH_UNAVAILABLE';

/**
 * A partner's subgraph over HTTP. Every request carries a fresh assertion of who is calling,
 * and gives up after `timeoutMs`: a partner that is down or slow costs its own fields only. The
 * rest of the query is answered, with a SUBGRAPH_UNAVAILABLE error naming the partner.
 *
 * What RemoteGraphQLDataSource does for us, without its per-call node-fetch Request and Headers
 * (built for hooks we do not use; a quarter of its time in a profile of the federated read):
 * POST `{ query, variables, operationName }` as JSON, and refuse an answer that is not a 2xx
 * JSON object.
 */
export class PartnerDataSource implements GraphQLDataSource<GraphQLContext> {
  private readonly fetcher: ReturnType<typeof createHttpFetcher>['fetcher'];

  constructor(
    private readonly partnerId: string,
    private readonly url: string,
    private readonly signer: AssertionSigner,
    private readonly timeoutMs: number,
  ) {
    this.fetcher = createHttpFetcher(timeoutMs).fetcher;
  }

  /**
   * One subgraph request, timed into coalition_subgraph_request_duration_seconds (and counted in
   * coalition_subgraph_failures_total when it fails), in a client span when tracing is on.
   */
  process(
    options: GraphQLDataSourceProcessOptions<GraphQLContext>,
  ): Promise<GatewayGraphQLResponse> {
    const startedAt = performance.now();
    return inSpan(`subgraph ${this.partnerId}`, SpanKind.CLIENT, async (span) => {
      const { response, failure } = await this.fetch(options);
      const outcome = failure ?? 'ok';
      subgraphRequestDuration.observe(
        { subgraph: this.partnerId, outcome },
        secondsSince(startedAt),
      );
      if (failure) subgraphFailuresTotal.inc({ subgraph: this.partnerId, reason: failure });
      span?.setAttributes({ 'coalition.partner_id': this.partnerId, 'coalition.outcome': outcome });
      if (failure) span?.setStatus({ code: SpanStatusCode.ERROR, message: failure });
      return response;
    });
  }

  private async fetch(
    options: GraphQLDataSourceProcessOptions<GraphQLContext>,
  ): Promise<{ response: GatewayGraphQLResponse; failure?: 'timeout' | 'error' }> {
    const { query, variables, operationName, extensions } = options.request;
    try {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        [assertionHeader]: await this.signer.sign(options.context?.caller, this.partnerId),
      };
      // W3C traceparent: the partner's spans join the member's trace (when tracing is on).
      injectTraceContext(headers);
      const response = await this.fetcher(this.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables, operationName, extensions }),
      });
      if (!response.ok) throw new Error(`${response.status}: ${response.statusText}`);
      recordMaxAge(options.context, maxAgeSeconds(response.headers.get('cache-control')));
      const body = await response.json().catch(() => undefined);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new Error('the answer is not a JSON object');
      }
      return { response: body as GatewayGraphQLResponse };
    } catch (error) {
      recordMaxAge(options.context, 0);
      const timedOut = (error as Error).name === 'TimeoutError';
      const reason = timedOut
        ? `did not answer within ${this.timeoutMs} ms`
        : `is unavailable (${(error as Error).message})`;
      return {
        failure: timedOut ? 'timeout' : 'error',
        response: {
          errors: [
            {
              message: `The service of partner ${this.partnerId} ${reason}; its fields are null.`,
              extensions: { code: subgraphUnavailableCode, partnerId: this.partnerId },
            },
          ],
        },
      };
    }
  }
}

/** A partner answer's `cache-control` max-age in seconds; 0 unless it plainly allows reuse. */
export function maxAgeSeconds(header: string | null): number {
  if (!header || /no-store|no-cache/i.test(header)) return 0;
  const maxAge = /(?:^|,)\s*max-age=(\d+)\s*(?:,|$)/i.exec(header);
  return maxAge ? Number(maxAge[1]) : 0;
}

/** Into the request's context (health checks and composition call without one). */
function recordMaxAge(context: Partial<GraphQLContext> | undefined, seconds: number): void {
  const reuse = context?.reuse;
  if (!reuse) return;
  reuse.partnerMaxAgeSeconds = Math.min(reuse.partnerMaxAgeSeconds ?? seconds, seconds);
}
