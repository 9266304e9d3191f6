import { persistedExchange } from '@urql/exchange-persisted';
import { type Client, createClient, fetchExchange } from 'urql';
import { documentHashes } from '../generated/graphql';

/**
 * The GraphQL client: every operation is sent as its trusted-document hash (never as text), by
 * POST, with the caller's token. No normalized cache: screens refetch what a mutation changed,
 * so a member always sees the ledger's own numbers.
 */
export function graphqlClient(token: () => string | null): Client {
  return createClient({
    url: '/graphql',
    requestPolicy: 'network-only',
    exchanges: [
      persistedExchange({
        enforcePersistedQueries: true,
        enableForMutation: true,
        preferGetForPersistedQueries: false,
        generateHash: async (_query, document) => {
          const operation = document.definitions.find((d) => d.kind === 'OperationDefinition');
          const name = operation && 'name' in operation ? operation.name?.value : undefined;
          return name ? documentHashes[name] : undefined;
        },
      }),
      fetchExchange,
    ],
    fetchOptions: () => {
      const current = token();
      const headers: Record<string, string> = { accept: 'application/json' };
      if (current) headers.authorization = `Bearer ${current}`;
      return { headers };
    },
  });
}
