import type { MigrationObject } from '@mikro-orm/core';
import { Migration0001Ledger } from './0001-ledger';
import { Migration0004Federation } from './0004-federation';

/**
 * Every migration, oldest first. Listed explicitly (not found by a file glob) so the same list
 * runs from TypeScript in tests and from compiled JavaScript in production.
 */
export const migrationsList: MigrationObject[] = [
  { name: '0001-ledger', class: Migration0001Ledger },
  { name: '0004-federation', class: Migration0004Federation },
];
