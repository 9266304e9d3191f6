import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { withDatabase } from '../../gateway/db/database';
import { initOrm, migrate } from '../../gateway/db/orm';
import { migrationsList } from '../../migrations';
import { runPrefixVariable, serverUrlVariable, templateVariable } from './test-environment';

/**
 * Test databases: the global setup migrates one template per run; every test file clones it
 * (CREATE DATABASE ... TEMPLATE is a file copy, far faster than migrating again).
 */

export function testServerUrl(): string {
  const url = process.env[serverUrlVariable];
  if (!url) throw new Error('the Jest global setup did not run (no test database server)');
  return url;
}

/** A fresh, migrated database for one test file; returns its URL. */
export async function createTestDatabase(): Promise<string> {
  const name = `${process.env[runPrefixVariable]}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client(testServerUrl());
  await client.connect();
  try {
    await migrateTemplateOnce(client);
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(
          `create database ${client.escapeIdentifier(name)} template ${client.escapeIdentifier(process.env[templateVariable]!)}`,
        );
        break;
      } catch (error) {
        // Two clones of one template at the same instant can collide; try again.
        if (attempt >= 10 || !/being accessed by other users/.test(String(error))) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  } finally {
    await client.end();
  }
  return withDatabase(testServerUrl(), name);
}

/** Migrates the template the first time any worker needs it; others wait on the lock. */
async function migrateTemplateOnce(admin: pg.Client): Promise<void> {
  const template = process.env[templateVariable]!;
  await admin.query('select pg_advisory_lock(hashtext($1))', [template]);
  try {
    const templateUrl = withDatabase(testServerUrl(), template);
    const probe = new pg.Client(templateUrl);
    await probe.connect();
    let applied = 0;
    try {
      const table = await probe.query("select to_regclass('mikro_orm_migrations') as name");
      if (table.rows[0].name) {
        applied = Number(
          (await probe.query('select count(*) from mikro_orm_migrations')).rows[0].count,
        );
      }
    } finally {
      await probe.end();
    }
    if (applied < migrationsList.length) {
      const orm = await initOrm(templateUrl, 2);
      try {
        await migrate(orm);
      } finally {
        await orm.close(true);
      }
    }
  } finally {
    await admin.query('select pg_advisory_unlock(hashtext($1))', [template]);
  }
}
