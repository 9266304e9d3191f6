import type { JWK } from 'jose';
import { isPrivateJwk } from './auth/keys';
import { metricsTokenLengthMin, nonNegativeInteger, webhookVariableNames } from './config';
import { demoPartnersInProcess, partnerServices, subgraphTimeoutMs } from './federation/config';
import { parseRateLimitOverrides } from './http/rate-limits';
import { logSettings } from './observability/logger';
import { tracesExporter } from './observability/tracing';

/** Settings read as non-negative integers (milliseconds, counts, a port). */
const integerSettings = [
  'PORT',
  'SWEEP_INTERVAL_MS',
  'GATEWAY_WORKERS',
  'REQUEST_DEADLINE_MS',
  'GATEWAY_CONCURRENCY_MAX',
  'GATEWAY_CALLER_CONCURRENCY_MAX',
  'GATEWAY_QUEUE_WAIT_MS',
  'DB_LOCK_TIMEOUT_MS',
  'DB_STATEMENT_TIMEOUT_MS',
  'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS',
  'PARTNER_RATE_LIMIT',
  'PARTNER_RATE_WINDOW_SECONDS',
  'METRICS_PORT',
] as const;

/**
 * Every problem with the gateway's environment, each naming its variable, found before anything
 * starts, so an operator fixes them all at once instead of one restart at a time. Empty when the
 * gateway may start.
 */
export function environmentProblems(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const production = env.NODE_ENV === 'production';
  // Each variable through the parser the gateway itself uses, so a rule is stated once.
  const check = (parse: () => unknown) => {
    try {
      parse();
    } catch (error) {
      problems.push((error as Error).message);
    }
  };
  for (const name of [...integerSettings, ...webhookVariableNames]) {
    const value = env[name];
    if (value !== undefined && value !== '') check(() => nonNegativeInteger(name, value));
  }
  check(() => subgraphTimeoutMs(env.SUBGRAPH_TIMEOUT_MS));
  if (env.DATABASE_URL && !/^postgres(ql)?:\/\/\S+$/.test(env.DATABASE_URL)) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }

  const publicJwks = json(env, 'JWT_PUBLIC_JWKS', problems) as { keys?: JWK[] } | undefined;
  if (publicJwks !== undefined) {
    if (!Array.isArray(publicJwks?.keys) || publicJwks.keys.length === 0) {
      problems.push('JWT_PUBLIC_JWKS must be a JWKS document: {"keys": [ ...at least one key ]}');
    } else if (publicJwks.keys.some(isPrivateJwk)) {
      problems.push(
        'JWT_PUBLIC_JWKS contains a private key: it is published at /.well-known/jwks.json, so give only public keys',
      );
    }
  } else if (production && !env.JWT_PUBLIC_JWKS) {
    problems.push(
      'JWT_PUBLIC_JWKS is required in production (the public keys tokens are signed with)',
    );
  }

  const signing = json(env, 'JWT_PRIVATE_JWK', problems) as JWK | undefined;
  if (signing !== undefined && !isPrivateJwk(signing)) {
    problems.push('JWT_PRIVATE_JWK is a public key: give the private key (or leave it unset)');
  }

  const assertion = json(env, 'GATEWAY_ASSERTION_PRIVATE_JWK', problems) as JWK | undefined;
  if (assertion !== undefined && !isPrivateJwk(assertion)) {
    problems.push(
      'GATEWAY_ASSERTION_PRIVATE_JWK is a public key: the gateway signs with it, so give the private key (npm run -s keys makes one)',
    );
  } else if (production && !env.GATEWAY_ASSERTION_PRIVATE_JWK) {
    problems.push(
      'GATEWAY_ASSERTION_PRIVATE_JWK is required in production (signs the gateway’s calls to partner services; npm run -s keys makes one)',
    );
  }

  check(() => demoPartnersInProcess(env.DEMO_PARTNERS, production));
  check(() => partnerServices(env.PARTNER_SERVICES));
  check(() => parseRateLimitOverrides(env.PARTNER_RATE_LIMITS));
  check(() => logSettings(env));
  check(() => tracesExporter(env));
  if (env.METRICS_TOKEN && env.METRICS_TOKEN.length < metricsTokenLengthMin) {
    problems.push(`METRICS_TOKEN must be at least ${metricsTokenLengthMin} characters long`);
  }
  return problems;
}

/** The variable parsed as JSON; a problem naming it (never its value: it may be a secret). */
function json(env: NodeJS.ProcessEnv, name: string, problems: string[]): unknown {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    // Not the parser's message: it quotes the text, which may be a key.
    problems.push(`${name} is not valid JSON`);
    return undefined;
  }
}
