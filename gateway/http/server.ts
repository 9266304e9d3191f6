import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type ApolloServer, HeaderMap } from '@apollo/server';
import type { App } from '../app';
import type { TokenVerifier } from '../auth/tokens';
import type { FederationServices } from '../federation/federation';
import { transientError } from '../graphql/apollo';
import type { GraphQLContext } from '../graphql/context';
import { createGraphQLContext } from '../graphql/context';
import type { Logger } from '../observability/logger';
import { silentLogger } from '../observability/logger';
import { callerContext, inSpan, SpanKind, tracingEnabled } from '../observability/tracing';
import type { Caller } from '../shared/context';
import { required } from '../shared/invariant';
import { deadlineExceeded, type TransientFailure, transientFailureOf } from '../shared/transient';
import { Admission, callerKey, defaultRequestLimits, type RequestLimits } from './admission';
import { analyticsExportPath, sendAnalyticsExport } from './analytics-export';
import type { OperationClassifier, OperationKind } from './cacheable-operations';
import type { CompiledOperations } from './compiled-operations';
import { memberExportPath, sendMemberExport } from './member-export';
import { endOfUtcDayMs, type MemberResponseCache } from './member-response-cache';
import type { OperationLabels } from './operation-labels';
import {
  answeredOperationsEndpoint,
  type MetricsAccess,
  metricsAccess,
  type ReadinessChecks,
} from './operations-endpoints';
import { defaultRateLimits, PartnerRateLimits, type RateLimitSettings } from './rate-limits';
import { beginRequest, loggableOperationName, outcomeOf, type RequestRecord } from './request-log';
import { sendJson } from './send-json';
import type { TrustedDocuments } from './trusted-documents';
import { handleWeb, type WebOptions } from './web';

/** The largest request body accepted; a GraphQL request is a query and a few variables. */
export const bodyBytesMax = 64 * 1024;
export const graphqlPath = '/graphql';

export interface HttpOptions {
  app: App;
  apollo: ApolloServer<GraphQLContext>;
  verifier: Pick<TokenVerifier, 'verify'>;
  corsOrigins: readonly string[];
  publicJwks: unknown;
  /** The keys partner services verify the gateway's assertions with (federation). */
  gatewayJwks?: unknown;
  /** Operations Apollo has answered once, run past its pipeline (CompiledOperations). */
  compiled?: CompiledOperations;
  /** Members' cacheable reads answered from memory (see MemberResponseCache). */
  memberReads?: {
    cache: MemberResponseCache;
    classifier: OperationClassifier;
    /**
     * Resolves true once every write committed before the call, by any process, has dropped
     * what it changed from the cache (ChangeFeed.fresh); false: answer from the database.
     */
    fresh?: () => Promise<boolean>;
  };
  /**
   * Resolves once every gateway process has applied the configuration changes committed so far
   * (ChangeFeed.propagate): the operator's and finance's answers wait for it.
   */
  propagate?: () => Promise<void>;
  /** Deadline and admission limits; defaultRequestLimits when omitted. */
  limits?: RequestLimits;
  /** The supergraph's services, for the operations that manage partner services. */
  federation?: FederationServices;
  /** Requests per partner and window; defaultRateLimits when omitted. */
  rateLimits?: RateLimitSettings;
  /** The browser apps and their sign-in (gateway/http/web.ts). */
  web?: WebOptions;
  /** The apps' registered documents, sent by hash. */
  trustedDocuments?: TrustedDocuments;
  /** Where the request lines go; silent when omitted. */
  logger?: Logger;
  /** The operation names requests are counted under; `other` for all when omitted. */
  operationLabels?: OperationLabels;
  /** What /ready checks beyond the database. */
  graphLoaded?: ReadinessChecks['graphLoaded'];
  /** Who may read /metrics here; open when omitted outside production. */
  metrics?: MetricsAccess;
}

type Handled = HttpOptions & {
  admission: Admission;
  limits: RequestLimits;
  rateLimiter: PartnerRateLimits;
  logger: Logger;
  metrics: MetricsAccess;
};

type Url = { pathname: string; search: string };

/**
 * A plain node:http server (no Express on the hot path): /graphql, /health, the public keys
 * at /.well-known/jwks.json and the gateway's assertion keys at /.well-known/gateway-jwks.json. Bodies over bodyBytesMax get 413, malformed JSON 400, a bad token
 * 401; everything else is Apollo's.
 */
export function createHttpServer(httpOptions: HttpOptions): Server {
  const limits = httpOptions.limits ?? defaultRequestLimits;
  const options: Handled = {
    ...httpOptions,
    limits,
    admission: new Admission(limits),
    rateLimiter: new PartnerRateLimits(httpOptions.rateLimits ?? defaultRateLimits),
    logger: httpOptions.logger ?? silentLogger,
    metrics: httpOptions.metrics ?? metricsAccess(false, undefined),
  };
  const server = createServer((request, response) => {
    const url = parseUrl(request.url ?? '/');
    const record = beginRequest(options.logger, request, response, url.pathname, graphqlPath);
    serve(options, record, url, request, response).catch((error: unknown) => {
      // A database that went away before execution began: retryable, not a bug.
      const transient = transientFailureOf(error);
      if (transient && !response.headersSent) return sendTransient(response, transient, record);
      options.logger.error({ err: error, requestId: record.requestId }, 'unhandled HTTP error');
      if (!response.headersSent)
        sendJson(response, 500, graphqlError('Internal server error', 'INTERNAL_SERVER_ERROR'));
      else response.destroy();
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

/** A request, inside a span continuing the caller's trace when tracing is on. */
function serve(
  options: Handled,
  record: RequestRecord,
  url: Url,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  if (!tracingEnabled()) return handle(options, record, url, request, response);
  const name = url.pathname === graphqlPath ? `${request.method} ${graphqlPath}` : 'HTTP';
  return inSpan(
    name,
    SpanKind.SERVER,
    async (span) => {
      await handle(options, record, url, request, response);
      span?.setAttributes({
        'http.request.method': request.method ?? '',
        'http.response.status_code': response.statusCode,
        'coalition.request_id': record.requestId,
        ...(record.operation ? { 'graphql.operation.name': record.operation } : {}),
      });
    },
    callerContext(request.headers),
  );
}

/**
 * One request, in its phases: route, read and authenticate, answer a member's repeated read
 * from memory, execute under admission and the deadline, send (and store for reuse).
 */
async function handle(
  options: Handled,
  record: RequestRecord,
  url: Url,
  request: IncomingMessage,
  response: ServerResponse,
) {
  const deadlineAt = performance.now() + options.limits.deadlineMs;
  response.setHeader('x-content-type-options', 'nosniff');
  if (
    (url.pathname === '/ready' || url.pathname === '/metrics') &&
    (await answeredOperationsEndpoint(
      url.pathname,
      request,
      response,
      { app: options.app, graphLoaded: options.graphLoaded },
      options.metrics,
    ))
  ) {
    return;
  }
  if (url.pathname !== graphqlPath && options.web) {
    if (await handleWeb(options.web, request, response, url.pathname)) return;
  }
  if (url.pathname === memberExportPath && request.method === 'GET') {
    const caller = await callerOrRefusal(options, request, response);
    record.caller = caller;
    if (caller) await sendMemberExport(options.app, caller, record.requestId, url.search, response);
    return;
  }
  if (url.pathname === analyticsExportPath && request.method === 'GET') {
    const caller = await callerOrRefusal(options, request, response);
    record.caller = caller;
    if (caller)
      await sendAnalyticsExport(options.app, caller, record.requestId, url.search, response);
    return;
  }
  if (answeredOutsideGraphQL(options, url.pathname, request, response)) return;
  const incoming = await readGraphQLRequest(options, url, request, response);
  if (!incoming) return;
  record.caller = incoming.caller;
  if (await answeredFromMemory(options, incoming, record, response)) return;
  const executed = await execute(options, incoming, record, deadlineAt, response);
  if (executed) await send(incoming, executed, record, response);
}

/** Everything but a GraphQL request: health, keys, CORS preflight, 404, 405. True when answered. */
function answeredOutsideGraphQL(
  options: Handled,
  pathname: string,
  request: IncomingMessage,
  response: ServerResponse,
): boolean {
  if (pathname !== graphqlPath) {
    const fixed = fixedAnswer(options, pathname);
    if (fixed === undefined) sendJson(response, 404, { error: 'not found' });
    else sendJson(response, 200, fixed);
  } else if (!applyCors(options.corsOrigins, request, response)) {
    sendJson(response, 403, graphqlError('Origin not allowed', 'FORBIDDEN'));
  } else if (request.method === 'OPTIONS') {
    response.writeHead(204).end();
  } else if (request.method !== 'GET' && request.method !== 'POST') {
    response.setHeader('allow', 'GET, POST, OPTIONS');
    sendJson(response, 405, graphqlError('Use GET or POST', 'BAD_REQUEST'));
  } else {
    return false;
  }
  return true;
}

/** The health check and the published keys. */
function fixedAnswer(options: Handled, pathname: string): unknown {
  if (pathname === '/health') return { status: 'ok' };
  if (pathname === '/.well-known/jwks.json') return options.publicJwks;
  if (pathname === '/.well-known/gateway-jwks.json') return options.gatewayJwks;
  return undefined;
}

/** A GraphQL request, read and authenticated. */
interface Incoming {
  request: IncomingMessage;
  search: string;
  /** The POSTed body as received; undefined for GET. */
  raw: string | undefined;
  caller: Caller;
  /** The business clock's now, for the member response cache. */
  nowMs: number;
}

/** Reads the body and authenticates the caller; undefined when answered (413, 401). */
async function readGraphQLRequest(
  options: Handled,
  url: { search: string },
  request: IncomingMessage,
  response: ServerResponse,
): Promise<Incoming | undefined> {
  let raw: string | undefined;
  if (request.method === 'POST') {
    raw = await readBody(request);
    if (raw === undefined) {
      sendJson(
        response,
        413,
        graphqlError(`Request body over ${bodyBytesMax} bytes`, 'BAD_REQUEST'),
      );
      return undefined;
    }
  }
  const caller = await callerOrRefusal(options, request, response);
  if (!caller) return undefined;
  return { request, search: url.search, raw, caller, nowMs: options.app.clock.now().getTime() };
}

/** The caller of the request's token; undefined when answered 401 (a bad token, an erased member). */
async function callerOrRefusal(
  options: Handled,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<Caller | undefined> {
  let caller: Caller;
  try {
    caller = await authenticate(options.verifier, request.headers.authorization);
  } catch (error) {
    refuseToken(response, reason(error));
    return undefined;
  }
  // Outside the try: a database that cannot answer is a 503, not a bad token.
  if (caller.kind === 'member' && (await options.app.dataRights.isErased(caller.memberId))) {
    refuseToken(response, 'the member was erased');
    return undefined;
  }
  return caller;
}

function refuseToken(response: ServerResponse, why: string): void {
  response.setHeader('www-authenticate', 'Bearer error="invalid_token"');
  sendJson(response, 401, graphqlError(`Invalid bearer token: ${why}`, 'UNAUTHENTICATED'));
}

/**
 * A member's repeated read, answered before parsing anything. Only a JSON request can hit (a
 * stored body was once parsed and answered by Apollo under the same CSRF rules).
 */
async function answeredFromMemory(
  options: Handled,
  incoming: Incoming,
  record: RequestRecord,
  response: ServerResponse,
): Promise<boolean> {
  const { caller, raw, request } = incoming;
  const reads = options.memberReads;
  if (!reads || caller.kind !== 'member' || raw === undefined || !isJson(request)) {
    return false;
  }
  // Looked at twice, counted once: an answer in memory is worth the freshness check (a write
  // another process acknowledged before this request must have dropped the entry), and the
  // check may drop it.
  if (
    !reads.cache.peek(caller.memberId, raw, incoming.nowMs) ||
    (reads.fresh && !(await reads.fresh()))
  ) {
    reads.cache.countMiss();
    return false;
  }
  const cached = reads.cache.lookup(caller.memberId, raw, incoming.nowMs);
  if (!cached) return false;
  record.operation = cached.operation;
  for (const [name, value] of cached.headers) response.setHeader(name, value);
  response.setHeader('cache-control', 'no-store');
  response.end(cached.body);
  return true;
}

type ApolloResult = Awaited<ReturnType<HttpOptions['apollo']['executeHTTPGraphQLRequest']>>;

/** What execution produced: a complete answer, or Apollo's streamed result. */
interface Executed {
  answer?: { status: number; headers: [string, string][]; body: string };
  result?: ApolloResult;
  context: GraphQLContext;
  memberRead: ReturnType<typeof memberReadOf>;
  /** The member response cache's ticket for this read, when its answer may be stored. */
  ticket: ReturnType<MemberResponseCache['ticket']> | undefined;
}

/**
 * Parses the body, takes an admission slot (503 BUSY past the queue wait), runs the operation
 * (compiled when it may be, else Apollo's) and waits for it until the deadline (503
 * DEADLINE_EXCEEDED). Undefined when answered.
 */
async function execute(
  options: Handled,
  incoming: Incoming,
  record: RequestRecord,
  deadlineAt: number,
  response: ServerResponse,
): Promise<Executed | undefined> {
  const { request, raw, caller } = incoming;
  let body: unknown = raw;
  if (raw !== undefined && isJson(request)) {
    try {
      body = JSON.parse(raw);
    } catch {
      sendJson(response, 400, graphqlError('Malformed JSON body', 'BAD_REQUEST'));
      return undefined;
    }
  }
  // The web apps send registered documents by hash: the text takes its place here.
  const trusted = options.trustedDocuments?.resolve(caller, body) ?? { body };
  if ('refused' in trusted) {
    sendJson(response, 400, graphqlError(trusted.refused, 'PERSISTED_QUERY_NOT_FOUND'));
    return undefined;
  }
  body = trusted.body;
  labelOperation(options, record, body);
  const memberRead = memberReadOf(options, caller, raw, body);
  const ticket =
    raw !== undefined &&
    (memberRead?.kind === 'cacheable-query' || memberRead?.kind === 'partner-query')
      ? memberRead.cache.ticket(memberRead.memberId, raw)
      : undefined;
  const operation = plainOperation(options, request, body);
  const learned = operation && options.compiled?.get(operation.query, operation.operationName);
  // Taken before Apollo runs it: an operation validated under a graph swapped since is not learned.
  const graphVersion = options.compiled?.graphVersion() ?? 0;

  let release: () => void;
  try {
    await options.rateLimiter.admit(caller);
    release = await options.admission.enter(callerKey(caller));
  } catch (error) {
    sendTransient(response, error as TransientFailure, record);
    return undefined;
  }
  const context = createGraphQLContext(options.app, caller, record.requestId, {
    deadlineAt,
    federation: options.federation,
  });
  const executed: Executed = { context, memberRead, ticket };
  const execution = inSpan(`graphql ${record.operation}`, SpanKind.INTERNAL, async () => {
    if (learned && operation && options.compiled) {
      const ran = await options.compiled.run(learned, context, operation.variables);
      if (ran) {
        executed.answer = { ...ran, headers: [['content-type', jsonContentType]] };
        return;
      }
      // A partners' query whose result Apollo is to answer (errors), or a graph swapped since.
    }
    const result = await options.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: request.method as string,
        headers: headerMapOf(request),
        search: incoming.search,
        body,
      },
      context: async () => context,
    });
    executed.result = result;
    if (result.body.kind !== 'complete') return;
    executed.answer = {
      status: result.status ?? 200,
      headers: [...result.headers],
      body: result.body.string,
    };
    if (operation && executed.answer.status === 200) {
      options.compiled?.learn(operation.query, operation.operationName, graphVersion);
    }
  });
  // The slot stays taken until the work stops, even when the caller was answered before.
  execution.then(release, release);
  const reached = (await beforeDeadline(execution, deadlineAt)) === deadlineReached;
  // A member's own mutation changes what their reads show: never serve them the old answer.
  if (memberRead?.kind === 'mutation') memberRead.cache.invalidate([memberRead.memberId]);
  if (reached) {
    // Whatever the work still does cannot commit (see SqlDatabase.transaction, EarnBatcher).
    execution.catch(() => undefined);
    sendTransient(response, deadlineExceeded(), record);
    return undefined;
  }
  // The operator's and finance's writes change configuration every process holds in memory:
  // acknowledged only once every process has applied them.
  if (options.propagate && (caller.kind === 'operator' || caller.kind === 'finance')) {
    await options.propagate();
  }
  return executed;
}

/** Sends the answer, storing a member's reusable read; or streams Apollo's incremental result. */
async function send(
  incoming: Incoming,
  executed: Executed,
  record: RequestRecord,
  response: ServerResponse,
) {
  const { answer, result, memberRead, ticket, context } = executed;
  if (answer) {
    record.outcome = outcomeOf(answer.body);
    for (const [name, value] of answer.headers) response.setHeader(name, value);
    response.setHeader('cache-control', 'no-store');
    response.statusCode = answer.status;
    // A retryable error inside the answer (a lock or statement timeout): say when to retry.
    if (answer.body.includes('"retryable":true')) response.setHeader('retry-after', '1');
    // Encoded once, outside V8's heap: the socket writes these bytes and the cache keeps them, so
    // the garbage collector never copies a stored answer (8 KB for a wallet) from young to old.
    const body = Buffer.from(answer.body);
    const validUntilMs =
      ticket && memberRead && reusableUntilMs(memberRead.kind, context, incoming.nowMs);
    if (validUntilMs && answer.status === 200 && !answer.body.includes('"errors"')) {
      memberRead.cache.store(
        ticket,
        { body, headers: answer.headers, operation: record.operation },
        incoming.nowMs,
        validUntilMs,
      );
    }
    response.end(body);
    return;
  }
  const streamed = required(result, 'an Apollo result when no complete answer was made');
  for (const [name, value] of streamed.headers) response.setHeader(name, value);
  response.setHeader('cache-control', 'no-store');
  response.statusCode = streamed.status ?? 200;
  if (streamed.body.kind === 'complete') return;
  for await (const chunk of streamed.body.asyncIterator) response.write(chunk);
  response.end();
}

function headerMapOf(request: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/** The operation's metrics label and, for the log, the client's operation name. */
function labelOperation(options: Handled, record: RequestRecord, body: unknown): void {
  const { query, operationName } = (body ?? {}) as { query?: unknown; operationName?: unknown };
  const given = typeof operationName === 'string' ? operationName : undefined;
  if (typeof query === 'string' && options.operationLabels) {
    const described = options.operationLabels.describe(query, given);
    record.operation = described.label;
    record.operationName = loggableOperationName(described.name);
  } else {
    record.operationName = loggableOperationName(given);
  }
}

const jsonContentType = 'application/json; charset=utf-8';

/**
 * A request the compiled path may answer exactly as Apollo would: a POSTed JSON object with the
 * operation as text, no extensions (persisted queries stay Apollo's), and a response type Apollo
 * would also choose as plain JSON.
 */
function plainOperation(
  options: HttpOptions,
  request: IncomingMessage,
  body: unknown,
):
  | {
      query: string;
      operationName: string | undefined;
      variables: Record<string, unknown> | undefined;
    }
  | undefined {
  if (!options.compiled || request.method !== 'POST' || !isJson(request)) return undefined;
  const accept = request.headers.accept;
  if (accept !== undefined && accept !== 'application/json' && accept !== '*/*') return undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { query, operationName, variables, extensions } = body as Record<string, unknown>;
  if (typeof query !== 'string' || extensions !== undefined) return undefined;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
    return undefined;
  }
  if (
    variables !== undefined &&
    variables !== null &&
    (typeof variables !== 'object' || Array.isArray(variables))
  ) {
    return undefined;
  }
  return {
    query,
    operationName: operationName ?? undefined,
    variables: (variables ?? undefined) as Record<string, unknown> | undefined,
  };
}

/** The path and query string of a request target, without URL's full parser on the hot path. */
function parseUrl(target: string): Url {
  const question = target.indexOf('?');
  return question < 0
    ? { pathname: target, search: '' }
    : { pathname: target.slice(0, question), search: target.slice(question) };
}

/**
 * Until when a member's answer may be served again: the end of the UTC day for their ledger
 * data, and no longer than every partner it asked allowed; undefined when it may not be reused.
 */
function reusableUntilMs(
  kind: OperationKind,
  context: GraphQLContext,
  nowMs: number,
): number | undefined {
  if (kind === 'cacheable-query') return endOfUtcDayMs(nowMs);
  const maxAgeSeconds = context.reuse.partnerMaxAgeSeconds;
  if (kind !== 'partner-query' || !maxAgeSeconds) return undefined;
  return Math.min(endOfUtcDayMs(nowMs), nowMs + maxAgeSeconds * 1_000);
}

/** A member's POSTed GraphQL request, classified for the response cache; undefined otherwise. */
function memberReadOf(
  options: HttpOptions,
  caller: Caller,
  raw: string | undefined,
  body: unknown,
): { memberId: string; kind: OperationKind; cache: MemberResponseCache } | undefined {
  if (!options.memberReads || caller.kind !== 'member' || raw === undefined) return undefined;
  const request = body as { query?: unknown; operationName?: unknown } | null;
  if (typeof request?.query !== 'string') return undefined;
  const operationName =
    typeof request.operationName === 'string' ? request.operationName : undefined;
  return {
    memberId: caller.memberId,
    kind: options.memberReads.classifier.kindOf(request.query, operationName),
    cache: options.memberReads.cache,
  };
}

async function authenticate(
  verifier: Pick<TokenVerifier, 'verify'>,
  header: string | undefined,
): Promise<Caller> {
  if (header === undefined || header === '') return { kind: 'anonymous' };
  const match = /^Bearer ([A-Za-z0-9._~+/=-]{10,4096})$/.exec(header);
  if (!match) throw new Error('expected "Authorization: Bearer <token>"');
  return verifier.verify(match[1]!);
}

/** Reads the body, or undefined once it exceeds bodyBytesMax (the rest is discarded). */
function readBody(request: IncomingMessage): Promise<string | undefined> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > bodyBytesMax) {
    request.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > bodyBytesMax) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Sets CORS headers for allowed origins; false when a browser origin is not allowed. */
function applyCors(
  allowed: readonly string[],
  request: IncomingMessage,
  response: ServerResponse,
): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  // The web apps this gateway serves itself: same origin (a proxy must pass the Host on).
  const host = request.headers.host;
  if (origin === `http://${host}` || origin === `https://${host}`) return true;
  if (!allowed.includes(origin)) return false;
  response.setHeader('access-control-allow-origin', origin);
  response.setHeader('vary', 'origin');
  response.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
  response.setHeader(
    'access-control-allow-headers',
    'authorization, content-type, apollo-require-preflight, x-request-id',
  );
  response.setHeader('access-control-max-age', '600');
  return true;
}

function isJson(request: IncomingMessage): boolean {
  return /^application\/(graphql-response\+)?json/i.test(request.headers['content-type'] ?? '');
}

function reason(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'ERR_JWT_EXPIRED') return 'token expired';
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return 'signature does not verify';
  if (code === 'ERR_JWKS_NO_MATCHING_KEY') return 'no trusted key matches';
  if (code === 'ERR_JOSE_ALG_NOT_ALLOWED') return 'algorithm not allowed';
  return (error as Error).message;
}

const deadlineReached = Symbol('deadline reached');

/** Waits for `work` until `deadlineAt` (performance.now() ms); rethrows what `work` throws. */
async function beforeDeadline<T>(
  work: Promise<T>,
  deadlineAt: number,
): Promise<T | typeof deadlineReached> {
  let timer: NodeJS.Timeout | undefined;
  const reached = new Promise<typeof deadlineReached>((resolve) => {
    timer = setTimeout(() => resolve(deadlineReached), Math.max(0, deadlineAt - performance.now()));
  });
  try {
    return await Promise.race([work, reached]);
  } finally {
    clearTimeout(timer);
  }
}

/** 503 (429 for a rate limit) with Retry-After: the request may be sent again, unchanged. */
function sendTransient(
  response: ServerResponse,
  failure: TransientFailure,
  record?: RequestRecord,
): void {
  if (record) record.outcome = failure.code;
  response.setHeader('retry-after', String(failure.retryAfterSeconds));
  sendJson(response, failure.httpStatus, { errors: [transientError(failure)] });
}

function graphqlError(message: string, code: string) {
  return { errors: [{ message, extensions: { code } }] };
}
