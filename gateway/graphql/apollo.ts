import { ApolloServer, type ApolloServerOptions, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import {
  type ASTVisitor,
  GraphQLError,
  type GraphQLFormattedError,
  GraphQLSchema,
  type ValidationContext,
} from 'graphql';
import { type TransientFailure, transientCodes, transientFailureOf } from '../shared/transient';
import type { GraphQLContext } from './context';
import { variablePageSizeCost } from './page-size-cost';

/** Limits on every operation, named so they can be quoted in docs and tests. */
export const operationLimits = {
  depthMax: 12,
  aliasesMax: 15,
  directivesMax: 10,
  tokensMax: 2_000,
  costMax: 5_000,
} as const;

/** Error codes whose messages are written for clients and pass through unchanged. */
export const clientErrorCodes: ReadonlySet<string> = new Set([
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  // A partner subgraph that is down or slow: its fields are null, the rest is answered.
  'SUBGRAPH_UNAVAILABLE',
]);

export interface ApolloOptions {
  production: boolean;
  log: (line: string) => void;
}

/**
 * Apollo Server hardened per ../shared/SECURITY.md: depth, alias, directive, token and cost
 * limits (graphql-armor); no batching; CSRF prevention on; introspection and field suggestions
 * off in production; every error that is not a client error is replaced by "Internal server
 * error" and logged in full.
 */
export async function createApolloServer(
  source: GraphQLSchema | GatewayInterface,
  options: ApolloOptions,
): Promise<ApolloServer<GraphQLContext>> {
  const armor = new ApolloArmor({
    maxDepth: { n: operationLimits.depthMax },
    // armor's default lets any number of `__typename` aliases through: 101 were answered.
    maxAliases: { n: operationLimits.aliasesMax, allowList: [] },
    maxDirectives: { n: operationLimits.directivesMax },
    // Enforced by graphql-js's parser instead (parseOptions below): armor's plugin answers a
    // breach with a 500, the parser with a 400 GRAPHQL_PARSE_FAILED.
    maxTokens: { enabled: false },
    costLimit: { maxCost: operationLimits.costMax },
    blockFieldSuggestion: { enabled: options.production },
  });
  const protection = armor.protect();
  // A schema (the coalition alone), or a gateway serving the supergraph (with federation).
  const served = (
    source instanceof GraphQLSchema ? { schema: source } : { gateway: source }
  ) as ApolloServerOptions<GraphQLContext>;
  const server = new ApolloServer<GraphQLContext>({
    ...served,
    introspection: !options.production,
    hideSchemaDetailsFromClientErrors: options.production,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    // We own signal handling: Apollo's own handler would re-raise SIGINT after stopping itself.
    stopOnTerminationSignals: false,
    nodeEnv: options.production ? 'production' : 'development',
    plugins: [
      ...protection.plugins,
      // The cost limit once the variables are known (page sizes given as variables).
      variablePageSizeCost(protection.validationRules),
      oneValidationError,
      ...(options.production ? [ApolloServerPluginLandingPageDisabled()] : []),
    ],
    validationRules: [...protection.validationRules, noSubscriptions],
    parseOptions: { maxTokens: operationLimits.tokensMax },
    formatError: (formatted, error) =>
      options.production
        ? withoutSchemaDetails(maskError(formatted, error, options.log))
        : maskError(formatted, error, options.log),
  });
  await server.start();
  return server;
}

export function maskError(
  formatted: GraphQLFormattedError,
  error: unknown,
  log: (line: string) => void,
): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  const original = unwrapResolverError(error);
  const limit = limitBreach(formatted);
  if (limit) return limit;
  // Variables that do not coerce, reported by the gateway's executor without a code: the
  // client's mistake, not an internal error.
  if (
    !formatted.path &&
    /^Variable "\$\w+" (got invalid value|of (required|non-null) type)/.test(formatted.message)
  ) {
    return { ...formatted, extensions: { ...formatted.extensions, code: 'BAD_USER_INPUT' } };
  }
  if (typeof code === 'string' && clientErrorCodes.has(code)) return formatted;
  if (
    original instanceof GraphQLError &&
    original.extensions?.code &&
    clientErrorCodes.has(String(original.extensions.code))
  ) {
    return formatted;
  }
  // Timeouts and overload: the client should send the same request again, later. Through the
  // supergraph the subgraph's error arrives as its extensions only.
  const transient = transientFailureOf(original);
  if (transient) return transientError(transient, formatted.path);
  if (typeof code === 'string' && transientCodes.has(code)) return formatted;
  log(
    `internal error at ${formatted.path?.join('.') ?? '(no path)'}: ${(original as Error)?.stack ?? String(original)}`,
  );
  return {
    message: 'Internal server error',
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
    ...(formatted.path ? { path: formatted.path } : {}),
  };
}

/** A TransientFailure as a GraphQL error a client can act on without reading the message. */
export function transientError(
  failure: TransientFailure,
  path?: GraphQLFormattedError['path'],
): GraphQLFormattedError {
  return {
    message: failure.message,
    extensions: {
      code: failure.code,
      retryable: true,
      retryAfterSeconds: failure.retryAfterSeconds,
    },
    ...(path ? { path } : {}),
  };
}

/**
 * The gateway serves queries and mutations over HTTP only. A subscription is refused while
 * validating, as a client error, instead of failing inside execution as an internal error
 * (logged with a stack trace on every call).
 */
export function noSubscriptions(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      if (node.operation === 'subscription') {
        context.reportError(
          new GraphQLError('Subscriptions are not supported: use a query or a mutation.', {
            nodes: [node],
          }),
        );
      }
    },
  };
}

/**
 * A breach of an operation limit, as a validation error that says which limit: armor words its
 * breaches as "Syntax Error: ...", and graphql-js's parser stops at the token limit with a
 * parse error, though the operation is well-formed in both cases.
 */
function limitBreach(formatted: GraphQLFormattedError): GraphQLFormattedError | undefined {
  const armor = /^Syntax Error: ((?:Aliases|Directives|Query depth|Query Cost) limit .*)$/.exec(
    formatted.message,
  );
  const tokens = /^Syntax Error: Document contains more t(?:h)?a[nt] (\d+) tokens/.exec(
    formatted.message,
  );
  if (!armor && !tokens) return undefined;
  return {
    message: armor ? armor[1]! : `Token limit of ${tokens![1]} exceeded.`,
    extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
  };
}

/** Messages of ours that name nothing of the schema, kept in production. */
const ownValidationMessages =
  /^(Subscriptions are not supported|(Aliases|Directives|Query depth|Query Cost|Token) limit )/;

/**
 * In production, an error says nothing the schema would: graphql-js's validation and variable
 * coercion messages name types, fields and arguments ('Field "wallet" of type "Wallet!" must
 * have a selection of subfields'), from which a schema can be rebuilt without introspection.
 * They become one sentence each; the code and the locations stay.
 */
export function withoutSchemaDetails(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (code === 'GRAPHQL_VALIDATION_FAILED' && !ownValidationMessages.test(formatted.message)) {
    return { ...formatted, message: 'The operation is not valid for this API.' };
  }
  const variable = /^Variable "(\$\w+)"/.exec(formatted.message);
  if (code === 'BAD_USER_INPUT' && variable) {
    return { ...formatted, message: `Variable "${variable[1]}" does not match its declared type.` };
  }
  return formatted;
}

/**
 * An operation that fails validation is answered with one error, not one per offending node:
 * ten unknown directives gave ten errors, eleven @include a limit error and ten more, so the
 * answer grew with the attack. A limit breach, when there is one, is the error kept.
 */
export const oneValidationError: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== 'single') return;
        const errors = response.body.singleResult.errors;
        if (!errors || errors.length < 2) return;
        if (!errors.every((error) => error.extensions?.code === 'GRAPHQL_VALIDATION_FAILED'))
          return;
        const breach = errors.find((error) => ownValidationMessages.test(error.message));
        response.body.singleResult.errors = [breach ?? errors[0]!];
      },
    };
  },
};
