import type { MigrationObject } from '@mikro-orm/core';
import { Migration0001Ledger } from './0001-ledger';
import { Migration0003Settlement } from './0003-settlement';

/**
 * Every migration, oldest first. Listed explicitly (not found by a file glob) so the same list
 * runs from TypeScript in tests and from compiled JavaScript in production.
 */
export const migrationsList: MigrationObject[] = [
  { name: '0001-ledger', class: Migration0001Ledger },
  { name: '0003-settlement', class: Migration0003Settlement },
];
