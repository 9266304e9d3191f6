import { join } from 'node:path';
import pg from 'pg';
import { EmbeddedPostgres } from './embedded-postgres';

export const embeddedPortPreferred = 54329;
export const defaultDatabaseName = 'coalition';

export interface DatabaseServer {
  /** Connection string of the coalition database. */
  url: string;
  /** True when we started the server ourselves (and must stop it). */
  embedded: boolean;
  stop(): Promise<void>;
}

/**
 * The database to use: `DATABASE_URL` when given, otherwise an embedded PostgreSQL whose files
 * live in `<dataDir>/postgres`, with a `coalition` database created on first start.
 */
export async function openDatabaseServer(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  log: (line: string) => void;
  /** Tools: share the embedded server of a running gateway instead of refusing. */
  attach?: boolean;
}): Promise<DatabaseServer> {
  if (options.databaseUrl) {
    return { url: options.databaseUrl, embedded: false, stop: async () => undefined };
  }
  const embeddedOptions = {
    dataDir: join(options.dataDir, 'postgres'),
    preferredPort: embeddedPortPreferred,
    log: options.log,
  };
  const server = options.attach
    ? await EmbeddedPostgres.attachOrStart(embeddedOptions)
    : await EmbeddedPostgres.start(embeddedOptions);
  try {
    await createDatabaseIfMissing(server.url, defaultDatabaseName);
  } catch (error) {
    await server.stop();
    throw error;
  }
  // A server this process owns is restarted when it dies; tools attached to a gateway's leave
  // that to the gateway.
  if (!server.attached) server.supervise(options.log);
  return {
    url: withDatabase(server.url, defaultDatabaseName),
    embedded: true,
    stop: () => server.stop(),
  };
}

export async function createDatabaseIfMissing(
  serverUrl: string,
  name: string,
  template?: string,
): Promise<void> {
  const client = new pg.Client(serverUrl);
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) {
      const from = template ? ` template ${client.escapeIdentifier(template)}` : '';
      await client.query(`create database ${client.escapeIdentifier(name)}${from}`);
    }
  } finally {
    await client.end();
  }
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
