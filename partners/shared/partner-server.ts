import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  type DocumentNode,
  execute,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  getOperationAST,
  Kind,
  OperationTypeNode,
  parse,
  validate,
} from 'graphql';
import type { JWK, JWTVerifyGetKey } from 'jose';
import { assertionHeader } from '../../gateway/federation/assertions';
import { bodyBytesMax } from '../../gateway/http/server';
import { AssertionVerifier } from './assertion-verifier';
import { CoalitionClient } from './coalition-client';
import type { PartnerContext, PartnerFaults } from './context';
import type { CacheHint } from './definition';
import { publicJwksOf } from './partner-keys';

/** Parsed and validated documents kept per service; the gateway sends a handful of shapes. */
const documentCacheSizeMax = 1_000;
/** Error codes written for clients; anything else is masked as an internal error. */
const clientErrorCodes = new Set(['BAD_USER_INPUT', 'FORBIDDEN', 'UNAUTHENTICATED', 'NOT_FOUND']);

export interface PartnerServerOptions {
  partnerId: string;
  name: string;
  /** The partner's subgraph (built with buildFederatedSchema). */
  schema: GraphQLSchema;
  port: number;
  host: string;
  /** The gateway's public keys, to verify assertions with. */
  gatewayKeys: JWTVerifyGetKey;
  /** The partner's own private key: signs its calls to the coalition. */
  signingKey: JWK;
  /** The coalition gateway's GraphQL URL. */
  coalitionUrl: string;
  faults?: PartnerFaults;
  /** Root fields whose answers may be reused, for how long and by whom (see CacheHint). */
  cacheHints?: Record<string, CacheHint>;
  log: (line: string) => void;
}

export interface RunningPartnerServer {
  partnerId: string;
  url: string;
  port: number;
  publicJwks: { keys: JWK[] };
  stop(): Promise<void>;
}

/**
 * A partner's subgraph service on plain node:http: POST /graphql (only with a valid gateway
 * assertion: 401 otherwise), GET /health, and the partner's public keys at
 * /.well-known/jwks.json. Bodies over the gateway's limit get 413.
 */
export async function startPartnerServer(
  options: PartnerServerOptions,
): Promise<RunningPartnerServer> {
  const verifier = new AssertionVerifier(options.partnerId, options.gatewayKeys);
  const coalition = new CoalitionClient(
    options.partnerId,
    options.coalitionUrl,
    options.signingKey,
  );
  const publicJwks = publicJwksOf(options.signingKey);
  const documents = new Map<string, DocumentNode | readonly GraphQLError[]>();
  const handler = async (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/health') return sendJson(response, 200, { status: 'ok', partner: options.name });
    if (path === '/.well-known/jwks.json') return sendJson(response, 200, publicJwks);
    if (path !== '/graphql') return sendJson(response, 404, { error: 'not found' });
    if (request.method !== 'POST')
      return sendJson(response, 405, errorBody('Use POST', 'BAD_REQUEST'));
    const assertion = request.headers[assertionHeader];
    let caller: PartnerContext['caller'];
    try {
      if (typeof assertion !== 'string') throw new Error('no assertion');
      caller = await verifier.verify(assertion);
    } catch (error) {
      request.resume();
      return sendJson(
        response,
        401,
        errorBody(
          `Call this service through the coalition gateway (${(error as Error).message})`,
          'UNAUTHENTICATED',
        ),
      );
    }
    const body = await readJson(request);
    if (body === undefined)
      return sendJson(response, 400, errorBody('Bad request body', 'BAD_REQUEST'));
    const document = documentFor(options.schema, documents, body.query);
    if (!('kind' in document)) {
      return sendJson(response, 400, { errors: document.map((error) => error.toJSON()) });
    }
    const result = await execute({
      schema: options.schema,
      document,
      operationName: body.operationName,
      variableValues: body.variables,
      contextValue: {
        partnerId: options.partnerId,
        caller,
        coalition,
        faults: options.faults ?? {},
      } satisfies PartnerContext,
    });
    const reuse = result.errors
      ? undefined
      : reuseOf(document, body.operationName, options.cacheHints ?? {});
    response.setHeader(
      'cache-control',
      reuse ? `${reuse.scope}, max-age=${reuse.maxAgeSeconds}` : 'no-store',
    );
    sendJson(response, 200, {
      ...result,
      ...(result.errors
        ? { errors: result.errors.map((error) => masked(error, options.log)) }
        : {}),
    });
  };
  const server = createServer((request, response) => {
    handler(request, response).catch((error: unknown) => {
      options.log(`${options.partnerId}: ${(error as Error).stack ?? String(error)}`);
      if (!response.headersSent)
        sendJson(response, 500, errorBody('Internal server error', 'INTERNAL_SERVER_ERROR'));
    });
  });
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    partnerId: options.partnerId,
    url: `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}/graphql`,
    port,
    publicJwks,
    stop: () => close(server),
  };
}

/**
 * The smallest hint over the operation's root fields, when it is a query hinting every one;
 * public only when every field is.
 */
function reuseOf(
  document: DocumentNode,
  operationName: string | undefined,
  hints: Record<string, CacheHint>,
): { maxAgeSeconds: number; scope: 'public' | 'private' } | undefined {
  const operation = getOperationAST(document, operationName || null);
  if (operation?.operation !== OperationTypeNode.QUERY) return undefined;
  let maxAgeSeconds = Number.POSITIVE_INFINITY;
  let scope: 'public' | 'private' = 'public';
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) return undefined;
    if (selection.name.value === '__typename') continue;
    const hint = hints[selection.name.value];
    if (hint === undefined) return undefined;
    const seconds = typeof hint === 'number' ? hint : hint.maxAgeSeconds;
    if (!(seconds > 0)) return undefined;
    maxAgeSeconds = Math.min(maxAgeSeconds, seconds);
    if (typeof hint === 'number' || hint.scope !== 'public') scope = 'private';
  }
  return Number.isFinite(maxAgeSeconds) ? { maxAgeSeconds, scope } : undefined;
}

interface GraphQLBody {
  query: string;
  operationName?: string;
  variables?: Record<string, unknown>;
}

function documentFor(
  schema: GraphQLSchema,
  cache: Map<string, DocumentNode | readonly GraphQLError[]>,
  query: string,
): DocumentNode | readonly GraphQLError[] {
  let document = cache.get(query);
  if (document) return document;
  try {
    const parsed = parse(query);
    const errors = validate(schema, parsed);
    document = errors.length > 0 ? errors : parsed;
  } catch (error) {
    document = [error as GraphQLError];
  }
  if (cache.size >= documentCacheSizeMax) cache.clear();
  cache.set(query, document);
  return document;
}

function masked(error: GraphQLError, log: (line: string) => void): GraphQLFormattedError {
  const code = error.extensions?.code;
  if (typeof code === 'string' && clientErrorCodes.has(code)) return error.toJSON();
  log(`internal error at ${error.path?.join('.')}: ${error.originalError?.stack ?? error.message}`);
  return {
    message: 'Internal server error',
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
    ...(error.path ? { path: error.path } : {}),
  };
}

async function readJson(request: IncomingMessage): Promise<GraphQLBody | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > bodyBytesMax) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as GraphQLBody;
    return typeof body?.query === 'string' ? body : undefined;
  } catch {
    return undefined;
  }
}

function errorBody(message: string, code: string) {
  return { errors: [{ message, extensions: { code } }] };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
