import { Migration } from '@mikro-orm/migrations';

/**
 * Federation (issue 5): the partner services the gateway composes into one graph, and the
 * two-phase redemption holds that partner services confirm or decline.
 *
 * Invariants enforced here as well as in code:
 * - a hold is settled (posted or voided) at most once: one `post` or `void` transfer per hold;
 * - a redemption hold's status says whether it is settled, and a settled one names the transfer
 *   that settled it;
 * - a partner service has an http(s) URL and a JWKS with at least one key.
 */
export class Migration0004Federation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
-- A partner business's own GraphQL service, composed into the supergraph. The SDL is the one
-- the service reported when it was registered, so the gateway can compose at start even while
-- the service is down. The JWKS holds the public keys the partner signs its own tokens with.
create table partner_service (
  partner_id text primary key references partner (id),
  url text not null constraint partner_service_url_format check (url ~ '^https?://\\S+$' and length(url) <= 2000),
  jwks jsonb not null constraint partner_service_jwks_has_keys check (jsonb_typeof(jwks -> 'keys') = 'array' and jsonb_array_length(jwks -> 'keys') between 1 and 10),
  sdl text not null constraint partner_service_sdl_length check (length(sdl) between 1 and 1000000),
  registered_at timestamptz not null,
  updated_at timestamptz not null
);

-- The settling transfer of a hold (post or void) names the hold in related_id; at most one.
create unique index transfer_settles_hold_once on transfer (related_id) where code in ('post', 'void');

-- What a hold is for and how it ended. The ledger's own rows (transfer, posting,
-- pending_transfer) carry the points; this row carries the reward and the outcome.
create table redemption_hold (
  hold_transfer_id text primary key references transfer (id),
  partner_id text not null references partner (id),
  member_id text not null references member (id),
  reward_id text constraint redemption_hold_reward_id_length check (length(reward_id) between 1 and 200),
  status text not null constraint redemption_hold_status_known check (status in ('held', 'confirmed', 'declined', 'expired')),
  settled_transfer_id text references transfer (id),
  reason text constraint redemption_hold_reason_length check (length(reason) <= 500),
  expires_at timestamptz not null,
  created_at timestamptz not null,
  settled_at timestamptz,
  constraint redemption_hold_settled_has_transfer check (
    (status = 'held') = (settled_transfer_id is null) and (status = 'held') = (settled_at is null))
);
create index redemption_hold_member on redemption_hold (member_id, created_at desc);
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
