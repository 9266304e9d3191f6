import { type App, createApp } from '../../gateway/app';
import type { DatabaseTimeouts } from '../../gateway/db/sql';
import { asPartner } from '../../gateway/demo/seed';
import { ManualClock } from '../../gateway/shared/clock';
import type { RequestContext } from '../../gateway/shared/context';
import { DomainError } from '../../gateway/shared/errors';
import { createTestDatabase, testClockStart } from './test-database';

export interface TestApp extends App {
  clock: ManualClock;
  databaseUrl: string;
  asPartner(partnerId: string): RequestContext;
}

/** The domain services on a fresh database of their own, with a clock the test moves. */
export async function createTestApp(
  options: {
    demo?: boolean;
    databaseTimeouts?: Partial<DatabaseTimeouts>;
    /** Connect through something in front of the database (a proxy a test can cut). */
    connectThrough?: (databaseUrl: string) => Promise<string>;
  } = {},
): Promise<TestApp> {
  const created = await createTestDatabase({ demo: options.demo ?? true });
  const databaseUrl = options.connectThrough ? await options.connectThrough(created) : created;
  const clock = new ManualClock(testClockStart);
  const app = await createApp({
    databaseUrl,
    clock,
    migrate: false,
    databaseTimeouts: options.databaseTimeouts,
  });
  return { ...app, clock, databaseUrl, asPartner: (partnerId) => asPartner(app, partnerId) };
}

/** The value of a service outcome, failing the test with the error when it is one. */
export function ok<Outcome>(outcome: Outcome): Exclude<Outcome, DomainError> {
  if (outcome instanceof DomainError) {
    throw new Error(`expected success, got ${outcome.code}: ${outcome.message}`);
  }
  return outcome as Exclude<Outcome, DomainError>;
}

/** The error of a service outcome, failing the test when it succeeded. */
export function failure<T>(outcome: T | DomainError): DomainError {
  if (!(outcome instanceof DomainError)) throw new Error('expected a DomainError, got success');
  return outcome;
}
