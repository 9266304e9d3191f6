// Child process: the MIT stack, the supergraph composed with @theguild/federation-composition
// and served by @graphql-hive/gateway-runtime's createGatewayRuntime on node:http, every
// subgraph over HTTP (its default transport). Subgraph requests get the same headers as on the
// Apollo side, through the runtime's propagateHeaders (its plugin writes them on the fetch hook;
// see below why not a plugin of ours there): the client's `authorization`, and to a partner the
// gateway's signed `x-coalition-assertion` of the caller (the project's AssertionSigner).
// FEDLIC_DEBUG=1 turns on the runtime's debug log and unmasked errors.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import {
  callerOf,
  childConfig,
  closeServer,
  coalitionSubgraphName,
  fromDist,
  readSubgraphs,
  runChild,
} from './shared.mjs';

const { keySetFromPrivate } = fromDist('gateway/auth/keys');
const { TokenVerifier } = fromDist('gateway/auth/tokens');
const { AssertionSigner, assertionHeader } = fromDist('gateway/federation/assertions');

runChild('hive gateway', async () => {
  const config = childConfig();
  const subgraphs = readSubgraphs(config.subgraphsFile);
  // Sorted by name, as the project's composeSupergraph does.
  const sorted = [...subgraphs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const composed = composeServices(
    sorted.map((subgraph) => ({
      name: subgraph.name,
      url: subgraph.url,
      typeDefs: parse(subgraph.sdl),
    })),
  );
  if (composed.errors?.length) {
    throw new Error(`composition: ${composed.errors.map((error) => error.message).join('; ')}`);
  }
  const signer = new AssertionSigner(config.assertionJwk);
  const verifier = new TokenVerifier(keySetFromPrivate(config.tokenJwk));

  /** The caller of the client's request, once per request (the token check is cached). */
  const callers = new WeakMap();
  const callerFor = (request) => {
    let caller = callers.get(request);
    if (!caller) {
      caller = callerOf(verifier, request.headers.get('authorization'));
      callers.set(request, caller);
    }
    return caller;
  };
  /**
   * The subgraph request's headers. Given through `propagateHeaders` (the runtime's own plugin:
   * onSubgraphExecute puts them in the execution request, its fetch hook writes them), not set
   * by a plugin of ours on the fetch hook alone: the HTTP executor merges identical subgraph
   * requests in flight (deduplicateInflightRequests, on by default) on a key of URL, method, body
   * and only the headers it was given before the fetch hook runs. Headers added on the fetch
   * hook are not in that key, so different callers' identical wallet requests were merged
   * (measured: 0.1 coalition requests per query from 10 tokens): a member could be answered
   * with another's wallet.
   */
  const subgraphHeaders = async ({ request, subgraphName }) => {
    const headers = {};
    const authorization = request.headers.get('authorization');
    if (authorization) headers.authorization = authorization;
    if (subgraphName !== coalitionSubgraphName) {
      headers[assertionHeader] = await signer.sign(await callerFor(request), subgraphName);
    }
    return headers;
  };
  const runtime = createGatewayRuntime({
    supergraph: composed.supergraphSdl,
    logging: process.env.FEDLIC_DEBUG ? 'debug' : false,
    maskedErrors: !process.env.FEDLIC_DEBUG,
    landingPage: false,
    graphiql: false,
    propagateHeaders: { fromClientToSubgraphs: subgraphHeaders },
    plugins: () => [
      {
        // The token is checked before execution, as the Apollo side does (401 on a bad one).
        onRequest({ request, endResponse, fetchAPI }) {
          if (new URL(request.url).pathname !== '/graphql') return;
          return callerFor(request).then(
            () => undefined,
            (error) =>
              endResponse(
                new fetchAPI.Response(
                  JSON.stringify({
                    errors: [{ message: `Invalid bearer token: ${error.message}` }],
                  }),
                  { status: 401, headers: { 'content-type': 'application/json' } },
                ),
              ),
          );
        },
      },
    ],
  });
  const server = createServer(runtime);
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    ready: { port: server.address().port, supergraphBytes: composed.supergraphSdl.length },
    stop: async () => {
      await closeServer(server);
      await runtime[Symbol.asyncDispose]?.();
    },
  };
});
