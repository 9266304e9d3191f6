import pg from 'pg';
import { withDatabase } from '../../gateway/db/database';
import { initOrm, migrate } from '../../gateway/db/orm';
import { migrationNames } from '../../migrations/names';
import { testServerUrl } from '../helpers/test-database';
import { runPrefixVariable } from '../helpers/test-environment';

/**
 * `migrate` on an empty database applies every migration in names.ts's order; on a database
 * that has them all it applies none, telling so from the names alone (the migrations' modules
 * are loaded only when one is pending: orm.ts).
 */
describe('migrate', () => {
  const name = `${process.env[runPrefixVariable]}_migrations`;
  const admin = () => new pg.Client(testServerUrl());
  beforeAll(async () => {
    const client = admin();
    await client.connect();
    await client.query(`create database ${client.escapeIdentifier(name)}`);
    await client.end();
  });
  afterAll(async () => {
    const client = admin();
    await client.connect();
    await client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`);
    await client.end();
  });

  it('applies every migration to an empty database, then none', async () => {
    const orm = await initOrm(withDatabase(testServerUrl(), name), 2);
    try {
      expect(await migrate(orm)).toEqual([...migrationNames]);
      expect(await migrate(orm)).toEqual([]);
    } finally {
      await orm.close(true);
    }
  });
});
