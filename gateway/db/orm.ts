import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { migrationNames } from '../../migrations/names';
import { MemberRecord } from '../members/member.entity';
import { MemberLinkRecord } from '../members/member-link.entity';
import { MemberLinkCodeRecord } from '../members/member-link-code.entity';
import { observePool } from '../observability/metrics';
import { CurrencyRecord } from '../programs/currency.entity';
import { PartnerRecord } from '../programs/partner.entity';
import { PartnerCurrencyRecord } from '../programs/partner-currency.entity';

/** Every MikroORM entity. Ledger tables are not here: the ledger uses plain SQL. */
export const entities = [
  PartnerRecord,
  CurrencyRecord,
  PartnerCurrencyRecord,
  MemberRecord,
  MemberLinkRecord,
  MemberLinkCodeRecord,
];

export function initOrm(url: string, poolSizeMax = 8): Promise<MikroORM> {
  return MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: url,
    entities,
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    // The list (every migration's SQL, and @mikro-orm/migrations, which each imports) is
    // loaded by `migrate` when one is pending.
    migrations: {
      transactional: true,
      allOrNothing: true,
      silent: true,
      snapshot: false,
    },
    pool: { min: 0, max: poolSizeMax },
    // Requests must fork; a shared global identity map would leak data between callers.
    allowGlobalContext: false,
    debug: false,
  });
}

/** Knex's pool (tarn) under MikroORM, as far as it is needed to count its connections. */
interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

/** Reports the ORM's pool as `orm` in the pool metrics; the returned function stops it. */
export function observeOrmPool(orm: MikroORM): () => void {
  return observePool('orm', () => {
    const pool = (orm.em.getConnection().getKnex().client as { pool?: TarnPool }).pool;
    if (!pool) return { total: 0, idle: 0, waiting: 0 };
    return {
      total: pool.numUsed() + pool.numFree(),
      idle: pool.numFree(),
      waiting: pool.numPendingAcquires(),
    };
  });
}

/**
 * Applies pending migrations; returns the names applied. Safe to run on every start. A database
 * that has every migration already (every start but the first after an upgrade) is told by their
 * names alone, so the migrations themselves (their SQL and @mikro-orm/migrations: about 700
 * modules, a third of a second of CPU) are loaded only when one is pending. The migrator is not
 * registered as an extension: `getMigrator()` loads @mikro-orm/migrations on first use.
 */
export async function migrate(orm: MikroORM): Promise<string[]> {
  if (await upToDate(orm)) return [];
  // require, not import(): under node20 resolution a dynamic import stays an ES import.
  const { migrationsList }: typeof import('../../migrations') = require('../../migrations');
  orm.config.get('migrations').migrationsList = migrationsList;
  const applied = await orm.getMigrator().up();
  return applied.map((migration) => migration.name);
}

/** Whether MikroORM's table records every migration this code knows. */
async function upToDate(orm: MikroORM): Promise<boolean> {
  const connection = orm.em.getConnection();
  const [table] = await connection.execute<{ name: string | null }[]>(
    "select to_regclass('mikro_orm_migrations')::text as name",
  );
  if (!table?.name) return false;
  const rows = await connection.execute<{ name: string }[]>(
    'select name from mikro_orm_migrations',
  );
  const applied = new Set(rows.map((row) => row.name));
  return migrationNames.every((name) => applied.has(name));
}
