// Child process: the coalition subgraph over HTTP, and the three demo partner services.
//
// The coalition subgraph is the gateway's own (buildCoalitionSubgraph over the type-graphql
// schema, as InProcessDataSource executes it in production), served on plain node:http like
// the partner services: POST /graphql, the caller authenticated from the forwarded
// `authorization` bearer token (the gateway's TokenVerifier, as gateway/http/server.ts does),
// each request with its own createGraphQLContext. Documents are parsed and validated once per
// text. Both gateways call this same server.

import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import {
  callerOf,
  childConfig,
  closeServer,
  coalitionSubgraphName,
  fromDist,
  projectRequire,
  readBody,
  runChild,
} from './shared.mjs';

const { execute, parse, validate } = projectRequire('graphql');
const { createApp } = fromDist('gateway/app');
const { keySetFromPrivate } = fromDist('gateway/auth/keys');
const { TokenVerifier } = fromDist('gateway/auth/tokens');
const { buildCoalitionSubgraph } = fromDist('gateway/federation/coalition-subgraph');
const { createGraphQLContext } = fromDist('gateway/graphql/context');
const { buildCoalitionSchema } = fromDist('gateway/graphql/schema');
const { demoPartnerServices } = fromDist('partners/demo');
const { gatewayKeys } = fromDist('partners/shared/assertion-verifier');
const { startPartnerServices } = fromDist('partners/start');

const documentCacheSizeMax = 1_000;

runChild('subgraphs', async () => {
  const config = childConfig();
  const app = await createApp({ databaseUrl: config.databaseUrl, migrate: false });
  const verifier = new TokenVerifier(keySetFromPrivate(config.tokenJwk));
  const coalition = buildCoalitionSubgraph(await buildCoalitionSchema());
  const documents = new Map();
  let requestSequence = 0;

  /** GraphQL requests served, read by the harness (GET /stats): hops per gateway request. */
  let served = 0;
  const handle = async (request, response) => {
    if (request.url === '/stats' && request.method === 'GET')
      return send(response, 200, { served });
    if (request.url !== '/graphql' || request.method !== 'POST') {
      return send(response, 404, { errors: [{ message: 'not found' }] });
    }
    served++;
    const raw = await readBody(request);
    let caller;
    try {
      caller = await callerOf(verifier, request.headers.authorization);
    } catch (error) {
      return send(response, 401, {
        errors: [{ message: `Invalid bearer token: ${error.message}` }],
      });
    }
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      return send(response, 400, { errors: [{ message: 'Malformed JSON body' }] });
    }
    const document = documentFor(coalition.schema, documents, body.query);
    if (!('kind' in document)) {
      return send(response, 400, { errors: document.map((error) => error.toJSON()) });
    }
    const result = await execute({
      schema: coalition.schema,
      document,
      operationName: body.operationName ?? undefined,
      variableValues: body.variables ?? undefined,
      contextValue: createGraphQLContext(app, caller, `fedlic-${++requestSequence}`),
    });
    send(response, 200, {
      ...(result.data !== undefined ? { data: result.data } : {}),
      ...(result.errors ? { errors: result.errors.map((error) => error.toJSON()) } : {}),
    });
  };
  const server = createServer((request, response) => {
    handle(request, response).catch((error) => {
      console.error(`coalition subgraph: ${error.stack ?? error}`);
      if (!response.headersSent) send(response, 500, { errors: [{ message: 'internal error' }] });
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const coalitionUrl = `http://127.0.0.1:${server.address().port}/graphql`;

  let partners = [];
  try {
    partners = await startPartnerServices(demoPartnerServices, {
      gatewayKeys: gatewayKeys({ jwks: config.assertionPublicJwks }),
      coalitionUrl,
      host: '127.0.0.1',
      ports: Object.fromEntries(demoPartnerServices.map((service) => [service.partnerId, 0])),
      log: (line) => console.error(line),
    });
    // The SDL each partner service composes with (what `_service { sdl }` answers).
    const subgraphs = [{ name: coalitionSubgraphName, url: coalitionUrl, sdl: coalition.sdl }];
    for (const definition of demoPartnerServices) {
      const running = partners.find((partner) => partner.partnerId === definition.partnerId);
      const { subgraph } = await definition.build();
      subgraphs.push({ name: definition.partnerId, url: running.url, sdl: subgraph.sdl });
    }
    writeFileSync(config.subgraphsFile, JSON.stringify(subgraphs, null, 2));
  } catch (error) {
    await Promise.all(partners.map((partner) => partner.stop()));
    await closeServer(server);
    await app.close();
    throw error;
  }
  return {
    ready: { coalitionUrl, partners: partners.map((partner) => partner.url) },
    stop: async () => {
      await Promise.all(partners.map((partner) => partner.stop()));
      await closeServer(server);
      await app.close();
    },
  };
});

function documentFor(schema, cache, query) {
  let document = cache.get(query);
  if (document) return document;
  try {
    const parsed = parse(query);
    const errors = validate(schema, parsed);
    document = errors.length > 0 ? errors : parsed;
  } catch (error) {
    document = [error];
  }
  if (cache.size >= documentCacheSizeMax) cache.clear();
  cache.set(query, document);
  return document;
}

function send(response, status, body) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
