import type { Server } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { JWK } from 'jose';
import type { App } from './app';
import { devSignInFor } from './auth/dev-sign-in';
import { generateSigningKey, type KeySet } from './auth/keys';
import { loadOidcSettings } from './auth/oidc-settings';
import { TokenVerifier } from './auth/tokens';
import { ChangeFeed } from './db/change-feed';
import { Federation } from './federation/federation';
import { createApolloServer } from './graphql/apollo';
import type { GraphQLContext } from './graphql/context';
import { buildCoalitionSchema } from './graphql/schema';
import type { RequestLimits } from './http/admission';
import { OperationClassifier } from './http/cacheable-operations';
import { CompiledOperations } from './http/compiled-operations';
import { MemberResponseCache } from './http/member-response-cache';
import { OperationLabels, operationNamesOf } from './http/operation-labels';
import { type MetricsAccess, metricsAccess } from './http/operations-endpoints';
import type { RateLimitSettings } from './http/rate-limits';
import { createHttpServer } from './http/server';
import { TrustedDocuments, trustedDocumentsMode } from './http/trusted-documents';
import { trustedDocumentsFile, webDistDir } from './http/web';
import type { Logger } from './observability/logger';

export interface GatewayOptions {
  app: App;
  keySet: KeySet;
  production: boolean;
  corsOrigins: readonly string[];
  log: (line: string) => void;
  /** The structured logger: a line per request, and internal errors; silent when omitted. */
  logger?: Logger;
  /** Who may read /metrics on the gateway's port; when omitted, open outside production only. */
  metrics?: MetricsAccess;
  /** The key the gateway signs subgraph assertions with; a fresh one when omitted (tests). */
  assertionKey?: JWK;
  /** Per-subgraph timeout; partner_data_source's subgraphTimeoutMs when omitted. */
  subgraphTimeoutMs?: number;
  /** Where composed supergraphs are kept between starts; memory only when omitted. */
  compositionCacheDir?: string;
  /** Request deadline and admission limits; defaultRequestLimits when omitted. */
  limits?: RequestLimits;
  /** Requests per partner and window; defaultRateLimits when omitted. */
  rateLimits?: RateLimitSettings;
  /** The environment the web apps' settings are read from (OIDC_*, TRUSTED_DOCUMENTS). */
  env?: NodeJS.ProcessEnv;
}

export interface Gateway {
  httpServer: Server;
  apollo: ApolloServer<GraphQLContext>;
  /** The supergraph: partner services, onboarding, assertions. */
  federation: Federation;
  /** Stops Apollo; the caller closes the HTTP server (it may never have listened). */
  stop(): Promise<void>;
}

/**
 * The GraphQL gateway over an App: the coalition's schema, the supergraph composed with every
 * registered partner service, Apollo, the HTTP server. Not yet listening.
 */
export async function buildGateway(options: GatewayOptions): Promise<Gateway> {
  const schema = await buildCoalitionSchema();
  const federation = await Federation.start({
    app: options.app,
    coalitionSchema: schema,
    assertionKey: options.assertionKey ?? (await generateSigningKey('gateway-ephemeral')),
    subgraphTimeoutMs: options.subgraphTimeoutMs,
    log: options.log,
    compositionCacheDir: options.compositionCacheDir,
  });
  // Internal errors (logged in full, masked for the client) are error lines.
  const logger = options.logger;
  const errorLog = logger ? (line: string) => logger.error(line) : options.log;
  const apollo = await createApolloServer(federation.gateway, {
    production: options.production,
    log: errorLog,
  });
  // Members' reads served from memory, dropped by this process's writes (synchronously) and
  // by every process's writes (the database's change feed).
  const memberCache = new MemberResponseCache();
  options.app.ledger.onMembersChanged((memberIds) => memberCache.invalidate(memberIds));
  // Partners' answers were stored under the previous graph's services.
  federation.onSupergraphChange(() => memberCache.reset());
  // Erased members known in memory while the feed listens. Not awaited: the feed's next
  // notifications need not wait for the load, and until it is done (or if it fails) the check
  // asks the database.
  const followErasures = () =>
    void options.app.dataRights
      .followErasures(changeFeed.listeningNow())
      .catch((error: unknown) =>
        options.log(`change feed: erased members not loaded (${(error as Error).message})`),
      );
  const changeFeed: ChangeFeed = new ChangeFeed(
    options.app.databaseUrl,
    {
      membersChanged: (memberIds) => memberCache.invalidate(memberIds),
      tableChanged: async (table) => {
        if (table === 'partner_service') await federation.reload(options.log);
        else if (table === 'member') followErasures();
        else if (table === 'exchange_rate') options.app.exchangeRates.clear();
        else if (table === 'earn_rule' || table === 'tier_ladder_version') {
          options.app.rules.clearCaches();
        } else options.app.catalog.clearCaches();
      },
      reset: async () => {
        followErasures();
        options.app.exchangeRates.follow(changeFeed.listeningNow());
        memberCache.reset();
        options.app.catalog.clearCaches();
        options.app.rules.clearCaches();
        await federation.reload(options.log);
      },
    },
    options.log,
  );
  await changeFeed.start();
  const env = options.env ?? process.env;
  const trustedDocuments = TrustedDocuments.load(
    trustedDocumentsFile,
    trustedDocumentsMode(env.TRUSTED_DOCUMENTS),
  );
  const httpServer = createHttpServer({
    app: options.app,
    memberReads: {
      cache: memberCache,
      classifier: new OperationClassifier(schema),
      fresh: () => changeFeed.fresh(),
    },
    propagate: () => changeFeed.propagate(),
    compiled: new CompiledOperations(schema, errorLog, federation.gateway),
    apollo,
    verifier: federation.callerVerifier(new TokenVerifier(options.keySet)),
    corsOrigins: options.corsOrigins,
    publicJwks: options.keySet.publicJwks,
    gatewayJwks: federation.signer.publicJwks,
    limits: options.limits,
    rateLimits: options.rateLimits,
    federation,
    web: {
      distDir: webDistDir,
      devSignIn: devSignInFor(options.production, options.keySet),
      oidc: loadOidcSettings(env),
    },
    trustedDocuments,
    logger,
    operationLabels: new OperationLabels(schema, operationNamesOf(trustedDocuments.documents())),
    graphLoaded: () => federation.gateway.loaded,
    metrics: options.metrics ?? metricsAccess(options.production, undefined),
  });
  return {
    httpServer,
    apollo,
    federation,
    stop: async () => {
      await changeFeed.stop();
      await apollo.stop();
    },
  };
}
