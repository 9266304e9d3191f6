import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type DestinationStream } from 'pino';
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
  const caller = callerFields(record.caller);
  // Every field is an id (validated or a UUID), a status, a name checked against the GraphQL
  // name pattern, a bounded label or a duration; JSON.stringify quotes the rest.
  let fields = `,"requestId":"${record.requestId}","method":${JSON.stringify(request.method)}`;
  fields += `,"path":${JSON.stringify(record.path)},"status":${status}`;
  fields += `,"callerKind":"${caller.callerKind}"`;
  if (caller.callerId !== undefined) fields += `,"callerId":${JSON.stringify(caller.callerId)}`;
  if (record.operation !== undefined) fields += `,"operation":${JSON.stringify(record.operation)}`;
  if (record.operationName !== undefined) fields += `,"operationName":"${record.operationName}"`;
  fields += `,"outcome":${JSON.stringify(outcome)},"durationMs":${Math.round(seconds * 10_000) / 10}`;
  requestLineWriter(logger)(level, fields);
}

type LineWriter = (level: 'info' | 'debug', fields: string) => void;
const lineWriters = new WeakMap<Logger, LineWriter>();

/**
 * Writes a request line as pino would (its level field, its time, the logger's bindings, the
 * fields, `"msg":"request"`), built as text and handed to the logger's stream: pino's
 * serializer walks an object key by key. With the once-per-turn destination (logger.ts), a
 * request's record, metrics and line went from 12.6 to 8.5 us in a loop on a slow machine
 * (about 3 % of a cached read there), the line itself about 1.5 us. Redaction is not needed: no
 * field comes from a header, a token or variables. pino's symbols are its interface for this
 * (`pino.symbols`); a test compares these lines with pino's own. A logger without them (not
 * made by pino) gets the plain call.
 */
function requestLineWriter(logger: Logger): LineWriter {
  let write = lineWriters.get(logger);
  if (write) return write;
  const internals = logger as unknown as Record<symbol, unknown>;
  const stream = internals[pino.symbols.streamSym] as DestinationStream | undefined;
  const time = internals[pino.symbols.timeSym] as (() => string) | undefined;
  const bindings = internals[pino.symbols.chindingsSym];
  const formatters = internals[pino.symbols.formattersSym] as
    | { level?: (label: string, value: number) => object }
    | undefined;
  if (stream && typeof time === 'function' && typeof bindings === 'string') {
    const levelField = (label: 'info' | 'debug'): string => {
      const value = logger.levels.values[label]!;
      const object = formatters?.level ? formatters.level(label, value) : { level: value };
      return JSON.stringify(object).slice(1, -1);
    };
    const info = `{${levelField('info')}`;
    const debug = `{${levelField('debug')}`;
    write = (level, fields) =>
      stream.write(
        `${level === 'info' ? info : debug}${time()}${bindings}${fields},"msg":"request"}\n`,
      );
  } else {
    write = (level, fields) => logger[level](JSON.parse(`{${fields.slice(1)}}`), 'request');
  }
  lineWriters.set(logger, write);
  return write;
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
