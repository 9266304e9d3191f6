import type { JWK } from 'jose';
import type { ProgramCatalog } from '../programs/program-catalog';
import type { Clock } from '../shared/clock';
import { type RequestContext, requireCaller } from '../shared/context';
import { type ErrorOf, failsWith, InvalidInput, NotFound } from '../shared/errors';
import { idPatterns } from '../shared/ids';
import type { SubgraphDefinition } from './composition';
import { CompositionFailed, PartnerServiceUnavailable } from './errors';
import { partnerSdlViolations } from './partner-sdl-rules';
import type { PartnerServiceClient } from './partner-service-client';
import type { PartnerServiceDirectory, PartnerServiceRecord } from './partner-service-directory';

const urlLengthMax = 2_000;
const jwksKeysMax = 10;

export interface RegisterPartnerServiceInput {
  partnerId: string;
  url: string;
  /** The partner's public keys as a JWKS JSON document; fetched from the service when omitted. */
  jwks?: string;
}

/** The running graph, as onboarding sees it. */
export interface SupergraphControl {
  /**
   * Composes the graph with `subgraph` added (or replacing the partner's previous one). On
   * success runs `commit` and then swaps the served graph; returns the composition errors
   * otherwise, and the served graph does not change.
   */
  replace(subgraph: SubgraphDefinition, commit: () => Promise<void>): Promise<string[] | null>;
}

/** Registering a partner service fails with one of these, and no other (its result union is built from them). */
export const registerServiceErrors = [
  InvalidInput,
  NotFound,
  PartnerServiceUnavailable,
  CompositionFailed,
] as const;

/**
 * Onboarding of partner services: the operator registers a partner's subgraph URL (and keys);
 * the gateway fetches its SDL, checks it uses only what partners may (partner-sdl-rules.ts),
 * composes the supergraph in-process, stores the service and swaps the graph without a restart. A composition error is returned with composition's messages and
 * the previous graph keeps serving. Registrations run one at a time.
 */
export class Onboarding {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly catalog: ProgramCatalog,
    private readonly directory: PartnerServiceDirectory,
    private readonly client: PartnerServiceClient,
    private readonly supergraph: SupergraphControl,
    private readonly clock: Clock,
  ) {}

  /**
   * Errors (`registerServiceErrors`): InvalidInput, NotFound (partner), PartnerServiceUnavailable, CompositionFailed,
   * Forbidden.
   */
  register(
    ctx: RequestContext,
    input: RegisterPartnerServiceInput,
  ): Promise<PartnerServiceRecord | ErrorOf<typeof registerServiceErrors>> {
    const run = this.queue.then(() =>
      failsWith(registerServiceErrors, () => this.registerNow(ctx, input)),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async registerNow(
    ctx: RequestContext,
    input: RegisterPartnerServiceInput,
  ): Promise<PartnerServiceRecord> {
    requireCaller(ctx, 'operator', 'system');
    if (!idPatterns.partner.test(input.partnerId)) {
      throw new InvalidInput('partnerId', 'must look like ptr_...');
    }
    if (!(await this.catalog.partner(input.partnerId))) {
      throw new NotFound('partner', input.partnerId);
    }
    const url = serviceUrl(input.url);
    const jwks = validJwks(
      input.jwks === undefined
        ? await this.client.fetchJwks(input.partnerId, url)
        : parseJson('jwks', input.jwks),
    );
    const sdl = await this.client.fetchSdl(input.partnerId, url);
    const violations = partnerSdlViolations(input.partnerId, sdl);
    if (violations.length > 0) throw new CompositionFailed(input.partnerId, violations);
    let saved: PartnerServiceRecord | undefined;
    const errors = await this.supergraph.replace({ name: input.partnerId, url, sdl }, async () => {
      saved = await this.directory.save(
        ctx,
        { partnerId: input.partnerId, url, jwks, sdl },
        this.clock.now(),
      );
    });
    if (errors) throw new CompositionFailed(input.partnerId, errors);
    return saved!;
  }

  list(ctx: RequestContext): Promise<PartnerServiceRecord[]> {
    requireCaller(ctx, 'operator', 'system');
    return this.directory.list();
  }
}

function serviceUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidInput('url', 'must be an absolute http(s) URL');
  }
  if (!['http:', 'https:'].includes(url.protocol) || text.length > urlLengthMax) {
    throw new InvalidInput('url', `must be an http(s) URL of at most ${urlLengthMax} characters`);
  }
  if (url.username || url.password) throw new InvalidInput('url', 'must not carry credentials');
  return url.toString();
}

function parseJson(field: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidInput(field, 'must be a JSON document');
  }
}

/** Public EC P-256 keys only (ES256, as every coalition token); private parts are refused. */
function validJwks(value: unknown): { keys: JWK[] } {
  const keys = (value as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > jwksKeysMax) {
    throw new InvalidInput('jwks', `must be a JWKS with 1 to ${jwksKeysMax} keys`);
  }
  for (const key of keys as JWK[]) {
    if (key.kty !== 'EC' || key.crv !== 'P-256' || !key.x || !key.y || !key.kid) {
      throw new InvalidInput('jwks', 'keys must be EC P-256 public keys with a kid (ES256)');
    }
    if (key.d !== undefined) throw new InvalidInput('jwks', 'must hold public keys only');
  }
  return { keys: (keys as JWK[]).map(({ kty, crv, x, y, kid }) => ({ kty, crv, x, y, kid })) };
}
