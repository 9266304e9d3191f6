import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createApp } from '../../gateway/app';
import { withDatabase } from '../../gateway/db/database';
import { initOrm, migrate } from '../../gateway/db/orm';
import { seedDemo } from '../../gateway/demo/seed';
import { ManualClock } from '../../gateway/shared/clock';
import { runPrefixVariable, serverUrlVariable, templateVariable } from './test-environment';

/**
 * Test databases: the global setup migrates one template per run; every test file clones it
 * (CREATE DATABASE ... TEMPLATE is a file copy, far faster than migrating again). Most tests
 * start from the demo coalition: it is seeded once per run into a second template (seeding
 * took 0.7-0.8 s per test app), at the moment every test app's clock starts.
 */

/** Where every test app's ManualClock starts (and when the demo template was seeded). */
export const testClockStart = new Date('2026-11-26T10:00:00Z');

export function testServerUrl(): string {
  const url = process.env[serverUrlVariable];
  if (!url) throw new Error('the Jest global setup did not run (no test database server)');
  return url;
}

/** A fresh, migrated database for one test file (with the demo seeded, if asked); its URL. */
export async function createTestDatabase(options: { demo?: boolean } = {}): Promise<string> {
  const name = `${process.env[runPrefixVariable]}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client(testServerUrl());
  await client.connect();
  try {
    await migrateTemplateOnce(client);
    const template = options.demo
      ? await seedDemoTemplateOnce(client)
      : process.env[templateVariable]!;
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(
          `create database ${client.escapeIdentifier(name)} template ${client.escapeIdentifier(template)}`,
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

/** Migrates the template the first time any worker needs it (buildOnce). */
async function migrateTemplateOnce(admin: pg.Client): Promise<void> {
  await buildOnce(admin, process.env[templateVariable]!, undefined, async (url) => {
    const orm = await initOrm(url, 2);
    try {
      await migrate(orm);
    } finally {
      await orm.close(true);
    }
  });
}

/** The demo template: a clone of the migrated template with the demo seeded (buildOnce). */
async function seedDemoTemplateOnce(admin: pg.Client): Promise<string> {
  const template = process.env[templateVariable]!;
  const demoTemplate = `${template}_demo`;
  await buildOnce(admin, demoTemplate, template, async (url) => {
    const app = await createApp({
      databaseUrl: url,
      clock: new ManualClock(testClockStart),
      migrate: false,
    });
    try {
      await seedDemo(app);
    } finally {
      await app.close();
    }
  });
  return demoTemplate;
}

/**
 * Builds database `name` (empty, or a clone of `template`) with `build` the first time any
 * worker needs it; others wait on the lock. It is built under another name and renamed when
 * complete, so its name existing means it is whole, and a file that finds it does no work (the
 * migrated template's files load no migration).
 */
async function buildOnce(
  admin: pg.Client,
  name: string,
  template: string | undefined,
  build: (url: string) => Promise<void>,
): Promise<void> {
  await admin.query('select pg_advisory_lock(hashtext($1))', [name]);
  try {
    const found = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return;
    const building = `${name}_building`;
    await admin.query(`drop database if exists ${admin.escapeIdentifier(building)}`);
    const from = template ? ` template ${admin.escapeIdentifier(template)}` : '';
    await admin.query(`create database ${admin.escapeIdentifier(building)}${from}`);
    await build(withDatabase(testServerUrl(), building));
    await admin.query(
      `alter database ${admin.escapeIdentifier(building)} rename to ${admin.escapeIdentifier(name)}`,
    );
  } finally {
    await admin.query('select pg_advisory_unlock(hashtext($1))', [name]);
  }
}
