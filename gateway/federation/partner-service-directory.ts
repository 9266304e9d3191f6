import { createHash } from 'node:crypto';
import type { JWK } from 'jose';
import { recordAudit } from '../audit/audit-log';
import type { SqlDatabase } from '../db/sql';
import type { RequestContext } from '../shared/context';
import { TtlCache } from '../shared/ttl-cache';

/** A registered partner service, as stored. */
export interface PartnerServiceRecord {
  partnerId: string;
  url: string;
  /** The public keys the partner signs its own tokens to the coalition with. */
  jwks: { keys: JWK[] };
  /** The subgraph SDL the service reported when it was registered. */
  sdl: string;
  registeredAt: Date;
  updatedAt: Date;
}

/**
 * Partner keys change rarely; another gateway process drops them when the change feed reports a
 * registration (Federation.reload), and within this at the latest.
 */
const keysCacheMs = 5_000;

/** The partner_service table: plain SQL, read at start and on every registration. */
export class PartnerServiceDirectory {
  private readonly keys = new TtlCache<string, { keys: JWK[] } | null>(keysCacheMs);

  constructor(private readonly db: SqlDatabase) {}

  async list(): Promise<PartnerServiceRecord[]> {
    const rows = await this.db.query<Row>(
      `select partner_id, url, jwks, sdl, registered_at, updated_at
       from partner_service order by partner_id`,
    );
    return rows.rows.map(fromRow);
  }

  /**
   * Creates or replaces a partner's service; keeps the first registration time. Recorded in the
   * audit log in the same transaction (URL, keys and a hash of the SDL, before and after).
   */
  async save(
    ctx: RequestContext,
    service: Pick<PartnerServiceRecord, 'partnerId' | 'url' | 'jwks' | 'sdl'>,
    now: Date,
  ): Promise<PartnerServiceRecord> {
    const saved = await this.db.transaction(async (sql) => {
      const previous = await sql.query<Row>(
        `select partner_id, url, jwks, sdl, registered_at, updated_at
         from partner_service where partner_id = $1 for update`,
        [service.partnerId],
      );
      const rows = await sql.query<Row>(
        `insert into partner_service (partner_id, url, jwks, sdl, registered_at, updated_at)
         values ($1, $2, $3::jsonb, $4, $5, $5)
         on conflict (partner_id) do update
           set url = excluded.url, jwks = excluded.jwks, sdl = excluded.sdl,
               updated_at = excluded.updated_at
         returning partner_id, url, jwks, sdl, registered_at, updated_at`,
        [service.partnerId, service.url, JSON.stringify(service.jwks), service.sdl, now],
      );
      const before = previous.rows[0] ? fromRow(previous.rows[0]) : null;
      const after = fromRow(rows.rows[0]!);
      await recordAudit(sql, ctx, {
        entity: 'partner_service',
        entityId: service.partnerId,
        action: before ? 'replace' : 'register',
        before: before && auditedService(before),
        after: auditedService(after),
        partnerIds: [service.partnerId],
        at: now,
      });
      return after;
    });
    this.keys.delete(service.partnerId);
    return saved;
  }

  /** Drops the cached keys (another process registered a service). */
  forgetKeys(): void {
    this.keys.clear();
  }

  /** The partner's registered public keys, or null when it has no service registered. */
  keysOf(partnerId: string): Promise<{ keys: JWK[] } | null> {
    return this.keys.get(partnerId, async () => {
      const rows = await this.db.query<{ jwks: { keys: JWK[] } }>(
        'select jwks from partner_service where partner_id = $1',
        [partnerId],
      );
      return rows.rows[0]?.jwks ?? null;
    });
  }
}

interface Row {
  partner_id: string;
  url: string;
  jwks: { keys: JWK[] };
  sdl: string;
  registered_at: Date;
  updated_at: Date;
}

/** A service as the audit log keeps it: the SDL (up to a megabyte) by its hash and length. */
function auditedService(service: PartnerServiceRecord) {
  return {
    url: service.url,
    jwks: service.jwks,
    sdlSha256: createHash('sha256').update(service.sdl).digest('hex'),
    sdlLength: service.sdl.length,
  };
}

function fromRow(row: Row): PartnerServiceRecord {
  return {
    partnerId: row.partner_id,
    url: row.url,
    jwks: row.jwks,
    sdl: row.sdl,
    registeredAt: row.registered_at,
    updatedAt: row.updated_at,
  };
}
