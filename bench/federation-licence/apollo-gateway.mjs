// Child process: today's stack, Apollo Federation 2 (ELv2): the supergraph composed with
// @apollo/composition (the project's composeSupergraph), served by @apollo/gateway's
// ApolloGateway inside Apollo Server 5, every subgraph over HTTP through
// RemoteGraphQLDataSource. Each subgraph request carries the client's `authorization` and, to a
// partner, the gateway's signed `x-coalition-assertion` of the caller (AssertionSigner). The
// versions are the main project's own (its node_modules).
import { once } from 'node:events';
import { createServer } from 'node:http';
import {
  callerOf,
  childConfig,
  closeServer,
  coalitionSubgraphName,
  fromDist,
  projectRequire,
  readBody,
  readSubgraphs,
  runChild,
} from './shared.mjs';

const { ApolloGateway, RemoteGraphQLDataSource } = projectRequire('@apollo/gateway');
const { ApolloServer, HeaderMap } = projectRequire('@apollo/server');
const { keySetFromPrivate } = fromDist('gateway/auth/keys');
const { TokenVerifier } = fromDist('gateway/auth/tokens');
const { AssertionSigner, assertionHeader } = fromDist('gateway/federation/assertions');
const { composeSupergraph } = fromDist('gateway/federation/composition');

runChild('apollo gateway', async () => {
  const config = childConfig();
  const subgraphs = readSubgraphs(config.subgraphsFile);
  const composed = composeSupergraph(subgraphs);
  if ('errors' in composed) throw new Error(`composition: ${composed.errors.join('; ')}`);
  const signer = new AssertionSigner(config.assertionJwk);
  const verifier = new TokenVerifier(keySetFromPrivate(config.tokenJwk));

  class SignedDataSource extends RemoteGraphQLDataSource {
    async willSendRequest({ request, context }) {
      if (context?.authorization) request.http.headers.set('authorization', context.authorization);
      if (this.subgraphName !== coalitionSubgraphName) {
        request.http.headers.set(
          assertionHeader,
          await signer.sign(context?.caller, this.subgraphName),
        );
      }
    }
  }
  // As the project's gateway does (coalition-gateway.ts): no host report to Apollo.
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const gateway = new ApolloGateway({
    supergraphSdl: composed.supergraphSdl,
    buildService: ({ name, url }) => {
      const source = new SignedDataSource({ url });
      source.subgraphName = name;
      return source;
    },
  });
  const apollo = new ApolloServer({
    gateway,
    introspection: false,
    includeStacktraceInErrorResponses: false,
    // The harness stops this process (SIGTERM, then stop() below).
    stopOnTerminationSignals: false,
  });
  await apollo.start();

  const handle = async (request, response) => {
    const url = request.url ?? '/';
    const question = url.indexOf('?');
    const pathname = question < 0 ? url : url.slice(0, question);
    if (pathname !== '/graphql') {
      response.writeHead(404).end();
      return;
    }
    const raw = request.method === 'POST' ? await readBody(request) : undefined;
    const authorization = request.headers.authorization;
    let caller;
    try {
      caller = await callerOf(verifier, authorization);
    } catch (error) {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ errors: [{ message: `Invalid bearer token: ${error.message}` }] }),
      );
      return;
    }
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: request.method,
        headers,
        search: question < 0 ? '' : url.slice(question),
        body: raw === undefined ? undefined : JSON.parse(raw),
      },
      context: async () => ({ authorization, caller }),
    });
    for (const [name, value] of result.headers) response.setHeader(name, value);
    response.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      response.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) response.write(chunk);
    response.end();
  };
  const server = createServer((request, response) => {
    handle(request, response).catch((error) => {
      console.error(`apollo gateway: ${error.stack ?? error}`);
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    ready: { port: server.address().port, supergraphBytes: composed.supergraphSdl.length },
    stop: async () => {
      await closeServer(server);
      await apollo.stop();
    },
  };
});
