import { randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import { generateSigningKey, loadKeySet } from '../gateway/auth/keys';
import { TokenIssuer } from '../gateway/auth/tokens';
import { formatMoneyAmount } from '../gateway/shared/money';
import {
  benchBasket,
  benchExternalId,
  benchPartnerCount,
  benchPartnerId,
  earnCurrency,
} from './bench-data';
import type { LoadOptions, OutgoingRequest } from './load-generator';

/**
 * What the load sends: the GraphQL documents, and tokens signed before the load starts with the
 * bench's development key (so signing never competes with the measurement).
 */
export const earnMutation = `mutation Earn($input: AwardPointsInput!) {
  awardPoints(input: $input) {
    __typename
    ... on AwardPointsSuccess { transferId points available expiresAt }
    ... on ErrorResult { code message }
  }
}`;

/** The wallet read: 3 balances and the 20 newest history entries with their why. */
export const walletQuery = `query Wallet {
  wallet {
    balances { currency available pending held expiringSoon expiringBefore nextExpiryAt }
    history(first: 20) {
      entries {
        id code description partnerId reference relatedTransferId
        purchase { amount currency }
        changes { currency available pending held }
        createdAt
      }
      pageInfo { endCursor hasNextPage }
    }
  }
}`;

export const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json' };

export interface BenchKeys {
  issuer: TokenIssuer;
  publicJwks: { keys: JWK[] };
  /** The key the gateway signs its subgraph assertions with (production mode requires one). */
  assertionJwk: JWK;
}

/** The bench's development key pair, kept in <dataDir>/keys like the gateway's own. */
export async function loadBenchKeys(dataDir: string): Promise<BenchKeys> {
  const keySet = await loadKeySet({ production: false, dataDir, env: {} });
  return {
    issuer: new TokenIssuer(keySet.privateJwk!),
    publicJwks: keySet.publicJwks,
    assertionJwk: await generateSigningKey('bench-assertion'),
  };
}

export async function partnerTokens(keys: BenchKeys): Promise<string[]> {
  return Promise.all(
    Array.from({ length: benchPartnerCount }, (_, index) =>
      keys.issuer.issue({ kind: 'partner', subject: benchPartnerId(index) }),
    ),
  );
}

/** Which partner sends each earn: always the first (hot), or any of the 20 (spread). */
export type PartnerChoice = 'hot' | 'spread';

export interface EarnRequestOptions {
  /** The partners' tokens (partnerTokens). */
  tokens: readonly string[];
  members: number;
  partners: PartnerChoice;
  /** The program currency earned (default BPT). */
  currency?: string;
  /** Send the purchase's basket (toys, food, a gift card) and a channel, as a till does. */
  baskets?: boolean;
}

/** The earn figures' load: earnRequests' requests, each counted when it was awarded. */
export function earnLoad(options: EarnRequestOptions): Pick<LoadOptions, 'request' | 'succeeded'> {
  return { request: earnRequests(options), succeeded: isAwardSuccess };
}

/**
 * Earn requests with transaction ids unique across runs (a random tag and a counter that runs
 * across every load using this generator, warm-up included), members picked
 * uniformly at random, 42.00 EUR purchases priced by the gateway (42 points), each sent by the
 * first partner (hot) or by one of the 20 picked at random (spread).
 */
export function earnRequests(options: EarnRequestOptions): () => OutgoingRequest {
  const tag = randomBytes(4).toString('hex');
  const headersByPartner = options.tokens.map((token) => ({
    ...jsonHeaders,
    authorization: `Bearer ${token}`,
  }));
  let sent = 0;
  return () => {
    const partner =
      options.partners === 'hot' ? 0 : Math.floor(Math.random() * headersByPartner.length);
    return {
      headers: headersByPartner[partner]!,
      body: JSON.stringify({
        query: earnMutation,
        variables: {
          input: {
            member: { externalId: benchExternalId(Math.floor(Math.random() * options.members)) },
            transactionId: `BENCH-${tag}-${sent++}`,
            currency: options.currency ?? earnCurrency,
            purchase: { amount: '42.00', currency: 'EUR' },
            ...(options.baskets ? basketVariables(sent) : {}),
          },
        },
      }),
    };
  };
}

/** The bench basket's lines (bench-data.ts) as the awardPoints mutation's variables. */
const basketLineVariables = benchBasket(0).basket.map(({ unitPriceMinor, ...line }) => ({
  ...line,
  unitPrice: formatMoneyAmount(unitPriceMinor, 'EUR'),
}));

/** The n-th request's basket and channel (its GraphQL enum value). */
function basketVariables(sent: number) {
  return { channel: benchBasket(sent).channel.toUpperCase(), basket: basketLineVariables };
}

export function isAwardSuccess(status: number, body: Buffer): boolean {
  if (status !== 200) return false;
  const parsed = JSON.parse(body.toString('utf8')) as {
    data?: { awardPoints?: { __typename?: string } };
  };
  return parsed.data?.awardPoints?.__typename === 'AwardPointsSuccess';
}
