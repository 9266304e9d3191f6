import pg from 'pg';
import { dropRunDatabases } from './global-setup';
import { runPrefixVariable, serverUrlVariable } from './test-environment';

export default async function globalTeardown(): Promise<void> {
  const client = new pg.Client(process.env[serverUrlVariable]);
  await client.connect();
  try {
    await dropRunDatabases(client, `${process.env[runPrefixVariable]}%`);
  } finally {
    await client.end();
  }
  await globalThis.embeddedTestServer?.stop();
}
