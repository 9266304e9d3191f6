import { persistedExchange } from '@urql/exchange-persisted';
import { type Client, CombinedError, cacheExchange, createClient, fetchExchange } from 'urql';
import type { PersistedDocument } from '../generated/graphql';

/**
 * The apps' GraphQL client: every document goes by its registered hash only (the gateway's
 * trusted documents), never as text, and with the session's bearer token. A 401 ends the
 * session (`onUnauthorized`).
 */
export function createGraphQLClient(token: () => string, onUnauthorized: () => void): Client {
  return createClient({
    url: '/graphql',
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    exchanges: [
      cacheExchange,
      persistedExchange({
        enforcePersistedQueries: true,
        enableForMutation: true,
        preferGetForPersistedQueries: false,
        generateHash: async (_text, document) =>
          (document as unknown as PersistedDocument<unknown, unknown>).__meta__.hash,
      }),
      fetchExchange,
    ],
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token()}` } }),
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      if (response.status === 401) onUnauthorized();
      return response;
    },
  });
}

/**
 * What to tell a person when an operation failed: the server's message (typed errors carry
 * theirs in the data; these are the rest), without urql's "[GraphQL]" prefixes.
 */
export function errorMessage(error: CombinedError | Error | undefined): string | undefined {
  if (!error) return undefined;
  if (error instanceof CombinedError) {
    const first = error.graphQLErrors[0];
    if (first) return first.message;
    if (error.networkError) return error.networkError.message;
  }
  return error.message;
}
