import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '../../schema/errors';
import { clientErrorCodes } from '../graphql/apollo';
import type { Logger } from '../observability/logger';
import { requestDuration, requestsTotal } from '../observability/metrics';
import type { Caller } from '../shared/context';
import { transientCodes } from '../shared/transient';
import { otherOperation } from './operation-labels';

/**
 * What one request did, filled in as it goes through the HTTP layer and written when its
 * response closes: one log line, and for GraphQL requests the request metrics.
 */
export interface RequestRecord {
  requestId: string;
  /** performance.now() when the request arrived. */
  startedAt: number;
  path: string;
  caller?: Caller;
  /** The bounded metrics label (OperationLabels). */
  operation?: string;
  /** The client's operation name, when it is a plain GraphQL name. */
  operationName?: string;
  /** ok, an error code, or (unset) the HTTP status. */
  outcome?: string;
}

/** An incoming `x-request-id` kept as the request's id: short, and nothing but id characters. */
const saneRequestId = /^[A-Za-z0-9._:-]{1,100}$/;
/** A GraphQL name (what an operation name must be); anything else is not logged. */
const graphqlName = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

/**
 * Starts the record of a request: its id (the caller's `x-request-id` when it is sane, else a
 * fresh UUID), echoed in the response's `x-request-id`; the line is written when the response
 * closes, however it closes.
 */
export function beginRequest(
  logger: Logger,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  graphqlPath: string,
): RequestRecord {
  const given = request.headers['x-request-id'];
  const record: RequestRecord = {
    requestId: typeof given === 'string' && saneRequestId.test(given) ? given : randomUUID(),
    startedAt: performance.now(),
    path,
  };
  response.setHeader('x-request-id', record.requestId);
  response.once('close', () => finishRequest(logger, record, request, response, graphqlPath));
  return record;
}

function finishRequest(
  logger: Logger,
  record: RequestRecord,
  request: IncomingMessage,
  response: ServerResponse,
  graphqlPath: string,
): void {
  const status = response.statusCode;
  const outcome = !response.writableFinished
    ? 'aborted'
    : (record.outcome ?? (status === 200 ? 'ok' : String(status)));
  const seconds = (performance.now() - record.startedAt) / 1_000;
  const graphql = record.path === graphqlPath;
  if (graphql) {
    const labels = { operation: record.operation ?? otherOperation, outcome };
    requestsTotal.inc(labels);
    requestDuration.observe(labels, seconds);
  }
  // Probes and assets are debug lines; every GraphQL request is an info line.
  const level = graphql ? 'info' : 'debug';
  if (!logger.isLevelEnabled(level)) return;
  requestLineLogger(logger)[level](
    {
      requestId: record.requestId,
      method: request.method,
      path: record.path,
      status,
      ...callerFields(record.caller),
      operation: record.operation,
      operationName: record.operationName,
      outcome,
      durationMs: Math.round(seconds * 10_000) / 10,
    },
    'request',
  );
}

const requestLineLoggers = new WeakMap<Logger, Logger>();

/**
 * The logger's child for request lines, without the redaction paths: every field of the line
 * is set above from an id, a status, a validated name or a duration, never from a header, a
 * token or variables, so there is nothing for redaction to find, and scanning for it (wildcard
 * paths) was most of a line's cost: 7.0 -> 2.4 us a line with the timestamp below (logger.ts),
 * about 5 % of a cached read's CPU. Other lines keep the parent's redaction.
 */
function requestLineLogger(logger: Logger): Logger {
  let child = requestLineLoggers.get(logger);
  if (!child) {
    child = logger.child({}, { redact: [] });
    requestLineLoggers.set(logger, child);
  }
  return child;
}

/** The caller's kind and id; ids only, never a name or an address. */
function callerFields(caller: Caller | undefined): { callerKind: string; callerId?: string } {
  switch (caller?.kind) {
    case undefined:
    case 'anonymous':
    case 'system':
      return { callerKind: caller?.kind ?? 'anonymous' };
    case 'partner':
      return { callerKind: 'partner', callerId: caller.partnerId };
    case 'member':
      return { callerKind: 'member', callerId: caller.memberId };
    case 'operator':
      return { callerKind: 'operator', callerId: caller.userId };
    case 'finance':
      return {
        callerKind: 'finance',
        callerId: caller.partnerId ? `${caller.partnerId}/${caller.userId}` : caller.userId,
      };
  }
}

/** The client's operation name when it is a GraphQL name (logged, never a metrics label). */
export function loggableOperationName(name: unknown): string | undefined {
  return typeof name === 'string' && graphqlName.test(name) ? name : undefined;
}

const codeInAnswer = /"code":"([A-Z][A-Z0-9_]{0,63})"/;
let knownCodes: ReadonlySet<string> | undefined;

/**
 * The outcome of a GraphQL answer: the first error code it carries (a top-level error's, or a
 * typed error result's when the client selected `code`), `ok` when none. Only codes the
 * gateway itself defines count: a partner's data could hold any string under `code`.
 */
export function outcomeOf(body: string): string {
  const match = codeInAnswer.exec(body);
  if (!match) return 'ok';
  knownCodes ??= new Set([
    ...Object.values(ErrorCode),
    ...transientCodes,
    ...clientErrorCodes,
    'INTERNAL_SERVER_ERROR',
  ]);
  return knownCodes.has(match[1]!) ? match[1]! : 'ok';
}
