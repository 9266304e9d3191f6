import { CompactSign, importJWK, type JWK } from 'jose';
import { signingAlgorithm } from '../auth/keys';

/** The issuer, as in the gateway's assertions to partner services (federation/assertions.ts). */
export const webhookIssuer = 'coalition-gateway';

/** The JWS `typ` of a webhook delivery, so it is never mistaken for a token or an assertion. */
export const webhookJwsType = 'coalition-webhook+jws';

/** What one delivery's JWS payload holds (see docs/webhooks.md). */
export interface WebhookDeliveryPayload {
  /** `coalition-gateway`, as in the gateway's assertions. */
  iss: string;
  /** The partner the events are for: a delivery for one partner is worthless at another. */
  aud: string;
  /** When it was signed (seconds since the epoch). */
  iat: number;
  subscriptionId: string;
  /** True when these are dead letters delivered again at the partner's request. */
  redelivery: boolean;
  events: WebhookEventPayload[];
}

export interface WebhookEventPayload {
  /** `evt_<n>`: the same across retries and replays (deduplicate on it). */
  id: string;
  type: string;
  /** Its place in the outbox, as a decimal string; increasing, without gaps. */
  position: string;
  occurredAt: string;
  partnerId: string;
  memberId: string | null;
  /** Ids and amounts only: never personal data. */
  data: Record<string, unknown>;
}

/**
 * Signs deliveries with the gateway's own key (the assertion key: GATEWAY_ASSERTION_PRIVATE_JWK,
 * published at /.well-known/gateway-jwks.json): one compact JWS (ES256) per delivery, over the
 * whole body, so a subscriber verifies one signature for a batch of events.
 */
export class WebhookSigner {
  private key: ReturnType<typeof importJWK> | undefined;

  constructor(private readonly privateJwk: JWK) {}

  async sign(payload: WebhookDeliveryPayload): Promise<string> {
    this.key ??= importJWK(this.privateJwk, signingAlgorithm);
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: signingAlgorithm, kid: this.privateJwk.kid, typ: webhookJwsType })
      .sign(await this.key);
  }
}
