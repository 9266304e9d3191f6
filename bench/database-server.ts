import { resolve } from 'node:path';
import pg from 'pg';
import { projectRoot } from '../gateway/config';
import { withDatabase } from '../gateway/db/database';
import { EmbeddedPostgres } from '../gateway/db/embedded-postgres';

const embeddedPortPreferred = 54349;

/**
 * The one PostgreSQL server of a bench run: DATABASE_URL's, or an embedded one with its own
 * cluster in .data/postgres-bench (never the gateway's or the tests'). Every database the run
 * creates on it is named <prefix>_<purpose>, and only those are ever dropped.
 */
export interface BenchServer {
  /** Where CREATE/DROP DATABASE run: DATABASE_URL itself, or the embedded `postgres` database. */
  adminUrl: string;
  embedded: boolean;
  /** The URL of one of the run's databases. */
  databaseUrl(purpose: string): string;
  databaseName(purpose: string): string;
  /** Drops and creates a database of the run, empty or as a copy of `templatePurpose`. */
  recreateDatabase(purpose: string, templatePurpose?: string): Promise<string>;
  dropDatabases(): Promise<void>;
  stop(): Promise<void>;
}

export async function openBenchServer(options: {
  databaseUrl: string | undefined;
  prefix: string;
  log: (line: string) => void;
}): Promise<BenchServer> {
  let embedded: EmbeddedPostgres | undefined;
  let adminUrl = options.databaseUrl;
  if (!adminUrl) {
    embedded = await EmbeddedPostgres.start({
      dataDir: resolve(projectRoot, '.data/postgres-bench'),
      preferredPort: embeddedPortPreferred,
      log: options.log,
    });
    adminUrl = embedded.url;
  }
  const serverUrl = adminUrl;
  const databaseName = (purpose: string) => `${options.prefix}_${purpose}`;
  const created = new Set<string>();
  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client(serverUrl);
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  return {
    adminUrl: serverUrl,
    embedded: embedded !== undefined,
    databaseName,
    databaseUrl: (purpose) => withDatabase(serverUrl, databaseName(purpose)),
    recreateDatabase: async (purpose, templatePurpose) => {
      const name = databaseName(purpose);
      await admin(async (client) => {
        await client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`);
        const template = templatePurpose
          ? ` template ${client.escapeIdentifier(databaseName(templatePurpose))}`
          : '';
        await client.query(`create database ${client.escapeIdentifier(name)}${template}`);
      });
      created.add(name);
      return withDatabase(serverUrl, name);
    },
    dropDatabases: () =>
      admin(async (client) => {
        for (const name of created) {
          await client.query(
            `drop database if exists ${client.escapeIdentifier(name)} with (force)`,
          );
        }
        created.clear();
      }),
    stop: async () => {
      await embedded?.stop();
    },
  };
}
