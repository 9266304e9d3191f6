import type { MikroORM } from '@mikro-orm/postgresql';
import { initOrm, migrate } from './db/orm';
import { SqlDatabase } from './db/sql';
import { Ledger } from './ledger/ledger';
import { MemberDirectory } from './members/member-directory';
import { ProgramCatalog } from './programs/program-catalog';
import { PurchaseService } from './purchases/purchase-service';
import { SettlementService } from './settlement/settlement-service';
import { type Clock, systemClock } from './shared/clock';
import { type RequestContext, systemContextFor } from './shared/context';

/**
 * The domain services wired together over one database; no HTTP, no GraphQL. The server, the
 * command-line jobs and the tests all start from here.
 */
export interface App {
  orm: MikroORM;
  db: SqlDatabase;
  clock: Clock;
  ledger: Ledger;
  catalog: ProgramCatalog;
  members: MemberDirectory;
  purchases: PurchaseService;
  settlement: SettlementService;
  /** A context for jobs and tools acting as the system. */
  systemContext(requestId?: string): RequestContext;
  close(): Promise<void>;
}

export interface AppOptions {
  databaseUrl: string;
  clock?: Clock;
  /** Apply pending migrations first (the default); tests use a pre-migrated template. */
  migrate?: boolean;
  poolSizeMax?: number;
}

export async function createApp(options: AppOptions): Promise<App> {
  const orm = await initOrm(options.databaseUrl);
  if (options.migrate ?? true) await migrate(orm);
  const db = new SqlDatabase({ url: options.databaseUrl, poolSizeMax: options.poolSizeMax });
  const clock = options.clock ?? systemClock;
  const ledger = new Ledger(db, clock);
  const catalog = new ProgramCatalog(orm, ledger);
  const members = new MemberDirectory();
  const purchases = new PurchaseService(ledger, catalog, members, clock);
  const settlement = new SettlementService(db, clock);
  return {
    orm,
    db,
    clock,
    ledger,
    catalog,
    members,
    purchases,
    settlement,
    systemContext: (requestId = 'system') => systemContextFor(orm.em.fork(), requestId),
    close: async () => {
      await db.close();
      await orm.close(true);
    },
  };
}
