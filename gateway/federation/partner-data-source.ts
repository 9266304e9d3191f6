import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { GraphQLContext } from '../graphql/context';
import {
  cacheLookups,
  secondsSince,
  subgraphFailuresTotal,
  subgraphRequestDuration,
} from '../observability/metrics';
import { injectTraceContext, inSpan, SpanKind, SpanStatusCode } from '../observability/tracing';
import { BoundedMap } from '../shared/bounded-map';
import { type Clock, systemClock } from '../shared/clock';
import { TtlCache } from '../shared/ttl-cache';
import { type AssertionSigner, assertionHeader } from './assertions';
import { createHttpFetcher } from './http-fetcher';

/** How long the gateway waits for a partner subgraph before answering without its data. */
export const subgraphTimeoutMs = 2_000;
/** The error code of a partner's part of a query that could not be fetched. */
export const subgraphUnavailableCode = 'SUBGRAPH_UNAVAILABLE';
/** Public answers a partner's data source keeps; the map is emptied when it grows past this. */
export const sharedAnswersMax = 1_000;

const sharedHits = cacheLookups.labels('partner_answers', 'hit');
const sharedMisses = cacheLookups.labels('partner_answers', 'miss');
/** A miss that waited for the same public request already on its way to the partner. */
const sharedJoins = cacheLookups.labels('partner_answers', 'joined');

/**
 * A fetch of a public request in flight, which identical requests wait for: whether it failed,
 * and then its error answer as text (taken before the caller that made the fetch is handed the
 * object, which the gateway merges into).
 */
type Flight = Promise<{ failedWith?: string }>;

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
  /**
   * Answers the partner marked `public` (the same whoever asks, a catalogue), by request
   * (sharedKey: all it sends but who asks), each for its max-age: any caller's identical request
   * is answered from here without calling the partner. Kept as the partner sent them (text: each
   * use parses its own copy). Dropped when the graph is swapped (a partner re-registered:
   * CoalitionGateway.swap); a fetch begun before a drop stores nothing after it.
   */
  private readonly shared: TtlCache<string, string>;
  /**
   * Requests whose last answer was public, and the fetch of each that is on its way: when a
   * public answer expires, the callers asking for it meanwhile wait for one fetch instead of
   * each calling the partner (a catalogue read by every member expires for all at once). Only
   * requests known to be public are joined: a private answer is fetched per caller.
   */
  private readonly publicRequests = new BoundedMap<string, true>(sharedAnswersMax);
  private readonly flights = new Map<string, Flight>();

  constructor(
    private readonly partnerId: string,
    private readonly url: string,
    private readonly signer: AssertionSigner,
    private readonly timeoutMs: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.fetcher = createHttpFetcher(timeoutMs).fetcher;
    // No lifetime of its own: each answer is stored for the max-age its partner gave.
    this.shared = new TtlCache(0, sharedAnswersMax, () => this.clock.now().getTime());
  }

  /**
   * One subgraph request, timed into coalition_subgraph_request_duration_seconds (and counted in
   * coalition_subgraph_failures_total when it fails), in a client span when tracing is on.
   */
  process(
    options: GraphQLDataSourceProcessOptions<GraphQLContext>,
  ): Promise<GatewayGraphQLResponse> {
    // Only when something is or was shared: most partners' answers are private.
    const key =
      this.shared.size > 0 || this.publicRequests.size > 0 ? sharedKey(options) : undefined;
    if (key !== undefined) {
      const reused = this.sharedAnswer(key, options.context);
      if (reused) {
        sharedHits.inc();
        return Promise.resolve(reused);
      }
      sharedMisses.inc();
      const flight = this.flights.get(key);
      if (flight) return this.joined(key, flight, options);
    }
    return this.called(options, key);
  }

  /** Calls the partner; identical requests known to be public wait for this call. */
  private called(
    options: GraphQLDataSourceProcessOptions<GraphQLContext>,
    key: string | undefined,
  ): Promise<GatewayGraphQLResponse> {
    const startedAt = performance.now();
    // The span's work starts synchronously, so the flight is registered before any other
    // request can look for it; the fetch runs in the span (its traceparent names it).
    return inSpan(`subgraph ${this.partnerId}`, SpanKind.CLIENT, async (span) => {
      const fetched = this.fetch(options, key);
      if (key !== undefined && this.publicRequests.has(key)) {
        // Registered before this call awaits its fetch, so it runs first when the fetch
        // settles. (fetch answers its failures; were it to throw, those waiting ask again.)
        const flight: Flight = fetched
          .then(({ response, failure }) =>
            failure ? { failedWith: JSON.stringify(response) } : {},
          )
          .catch(() => ({}))
          .finally(() => {
            if (this.flights.get(key) === flight) this.flights.delete(key);
          });
        this.flights.set(key, flight);
      }
      const { response, failure } = await fetched;
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

  /**
   * Waits for the identical request in flight. Its answer, if it was stored as public, answers
   * this one too; its failure (a partner down or too slow) is this one's as well, rather than a
   * second wait; an answer it could not share (private after all, or with errors) sends this
   * request on its own.
   */
  private async joined(
    key: string,
    flight: Flight,
    options: GraphQLDataSourceProcessOptions<GraphQLContext>,
  ): Promise<GatewayGraphQLResponse> {
    sharedJoins.inc();
    const { failedWith } = await flight;
    if (failedWith !== undefined) {
      recordMaxAge(options.context, 0);
      return JSON.parse(failedWith) as GatewayGraphQLResponse;
    }
    return this.sharedAnswer(key, options.context) ?? this.called(options, key);
  }

  /** Forgets every public answer (the graph changed). */
  dropSharedAnswers(): void {
    this.shared.clear();
    this.publicRequests.clear();
  }

  /**
   * A public answer to this very request that has not expired, as a fresh object (the gateway
   * merges later fetches into what a fetch returned, so no two requests may share one), with
   * the seconds it has left recorded as this call's max-age.
   */
  private sharedAnswer(
    key: string,
    context: Partial<GraphQLContext> | undefined,
  ): GatewayGraphQLResponse | undefined {
    const found = this.shared.peek(key);
    if (!found) return undefined;
    recordMaxAge(context, Math.floor(found.remainingMs / 1000));
    return JSON.parse(found.value) as GatewayGraphQLResponse;
  }

  /** `key`: the request's sharedKey when the lookup already made it. */
  private async fetch(
    options: GraphQLDataSourceProcessOptions<GraphQLContext>,
    key: string | undefined,
  ): Promise<{ response: GatewayGraphQLResponse; failure?: 'timeout' | 'error' }> {
    const { query, variables, operationName, extensions } = options.request;
    const ticket = this.shared.ticket();
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
      const cacheControl = response.headers.get('cache-control');
      const maxAge = maxAgeSeconds(cacheControl);
      recordMaxAge(options.context, maxAge);
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new Error('the answer is not a JSON object');
      }
      const answer = body as GatewayGraphQLResponse;
      if (maxAge > 0 && isPublic(cacheControl) && !answer.errors?.length) {
        const shared = key ?? sharedKey(options);
        this.shared.store(shared, text, ticket, maxAge * 1000);
        this.publicRequests.set(shared, true);
      }
      return { response: answer };
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

/** Whether a partner's `cache-control` lets any caller be given the answer (`public`). */
export function isPublic(header: string | null): boolean {
  return header !== null && /(?:^|,)\s*public\s*(?:,|$)/i.test(header);
}

/** A subgraph request's identity: all it sends but who asks (the assertion, the trace). */
function sharedKey(options: GraphQLDataSourceProcessOptions<GraphQLContext>): string {
  const { query, operationName, variables, extensions } = options.request;
  return JSON.stringify([query, operationName ?? null, variables ?? null, extensions ?? null]);
}

/** Into the request's context (health checks and composition call without one). */
function recordMaxAge(context: Partial<GraphQLContext> | undefined, seconds: number): void {
  const reuse = context?.reuse;
  if (!reuse) return;
  reuse.partnerMaxAgeSeconds = Math.min(reuse.partnerMaxAgeSeconds ?? seconds, seconds);
}
