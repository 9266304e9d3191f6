import { importJWK, type JWK, SignJWT } from 'jose';

/** How long a partner waits for the coalition before giving up on one call. */
export const coalitionCallTimeoutMs = 5_000;
const tokenLifetimeSeconds = 300;
/** A token is reused while it has at least this long to live. */
const tokenReuseSecondsMin = 60;

export interface HoldView {
  id: string;
  status: 'held' | 'confirmed' | 'declined' | 'expired';
  reason: string | null;
}

/** A typed error result of the coalition (`ErrorResult { code message }`). */
export interface CoalitionError {
  code: string;
  message: string;
}

const holdFields = `__typename ... on RedemptionHold { id status reason } ... on ErrorResult { code message }`;

/**
 * A partner service calling the coalition's gateway as itself, with a short-lived token it signs
 * with its own key (iss = sub = its partner id, aud = coalition:partner), verified by the
 * gateway against the keys registered for the partner.
 */
export class CoalitionClient {
  private cached: { token: string; expiresAtMs: number } | undefined;

  constructor(
    private readonly partnerId: string,
    private readonly url: string,
    private readonly privateJwk: JWK,
  ) {}

  placeHold(input: {
    memberId: string;
    transactionId: string;
    currency: string;
    points: bigint;
    rewardId: string;
    holdSeconds?: number;
  }): Promise<HoldView | CoalitionError> {
    return this.holdMutation(
      `mutation Hold($input: PlaceRedemptionHoldInput!) { result: placeRedemptionHold(input: $input) { ${holdFields} } }`,
      {
        input: {
          member: { memberId: input.memberId },
          transactionId: input.transactionId,
          currency: input.currency,
          points: input.points.toString(),
          rewardId: input.rewardId,
          holdSeconds: input.holdSeconds,
        },
      },
    );
  }

  confirm(holdId: string): Promise<HoldView | CoalitionError> {
    return this.holdMutation(
      `mutation Confirm($input: SettleRedemptionInput!) { result: confirmRedemption(input: $input) { ${holdFields} } }`,
      { input: { holdId } },
    );
  }

  decline(holdId: string, reason: string): Promise<HoldView | CoalitionError> {
    return this.holdMutation(
      `mutation Decline($input: SettleRedemptionInput!) { result: declineRedemption(input: $input) { ${holdFields} } }`,
      { input: { holdId, reason } },
    );
  }

  private async holdMutation(
    query: string,
    variables: Record<string, unknown>,
  ): Promise<HoldView | CoalitionError> {
    const data = (await this.request(query, variables)) as {
      result: { __typename: string } & Partial<HoldView> & Partial<CoalitionError>;
    };
    const result = data.result;
    if (result.__typename === 'RedemptionHold') {
      return { id: result.id!, status: result.status!, reason: result.reason ?? null };
    }
    return { code: result.code!, message: result.message! };
  }

  /** One GraphQL call; throws when the coalition cannot be reached or answers with errors. */
  async request(query: string, variables: Record<string, unknown>): Promise<unknown> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await this.token()}`,
      },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(coalitionCallTimeoutMs),
    });
    const body = (await response.json()) as { data?: unknown; errors?: { message: string }[] };
    if (!response.ok || body.errors?.length || !body.data) {
      const reason = body.errors?.map((error) => error.message).join('; ') ?? response.statusText;
      throw new Error(`the coalition refused the call (HTTP ${response.status}): ${reason}`);
    }
    return body.data;
  }

  private async token(): Promise<string> {
    const nowMs = Date.now();
    if (this.cached && this.cached.expiresAtMs - nowMs > tokenReuseSecondsMin * 1000) {
      return this.cached.token;
    }
    const issuedAt = Math.floor(nowMs / 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: this.privateJwk.kid, typ: 'at+jwt' })
      .setIssuer(this.partnerId)
      .setSubject(this.partnerId)
      .setAudience('coalition:partner')
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + tokenLifetimeSeconds)
      .sign(await importJWK(this.privateJwk, 'ES256'));
    this.cached = { token, expiresAtMs: (issuedAt + tokenLifetimeSeconds) * 1000 };
    return token;
  }
}
