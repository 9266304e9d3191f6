import type { ChaosEnvironment } from './environment';
import { sleep } from './environment';
import { Workload } from './workload';

/**
 * One fault the suite injects while the load runs. `inject` returns once the fault has been
 * done (a process killed, connections terminated, a lock taken); restoring what a real operator
 * or supervisor would restore (restarting a killed gateway, releasing a lock) is part of it, so
 * the time from the fault to the next acknowledged request is the recovery the suite reports.
 * Register a new fault by adding it to `scenarios`.
 */
export interface Scenario {
  name: string;
  description: string;
  inject(context: ScenarioContext): Promise<void>;
}

export interface ScenarioContext {
  environment: ChaosEnvironment;
  /** The scenario's load, for faults that add load of their own (overload). */
  workload: Workload;
  log: (line: string) => void;
}

/** How long the hot-row scenario holds its locks: past the gateway's 3 s lock timeout. */
const hotRowLockMs = 5_000;
/** The overload burst: clients on top of the steady load, and for how long. */
const overloadClients = 200;
const overloadMs = 4_000;

export const scenarios: readonly Scenario[] = Object.freeze([
  {
    name: 'kill-gateway',
    description: 'kill -9 the gateway under load, then start it again (it takes over its database)',
    inject: async ({ environment }) => {
      await environment.killGateway();
      await environment.startGateway();
      await environment.reconnectAdmin();
    },
  },
  {
    name: 'kill-database',
    description: 'kill -9 the embedded PostgreSQL postmaster; the gateway restarts it',
    inject: async ({ environment }) => {
      const { pid } = await environment.postmaster();
      process.kill(pid, 'SIGKILL');
    },
  },
  {
    name: 'terminate-connections',
    description: 'pg_terminate_backend on every gateway connection, three times in a row',
    inject: async ({ environment }) => {
      for (let round = 0; round < 3; round++) {
        await environment.admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
           where datname = current_database() and pid <> pg_backend_pid()
             and application_name <> 'coalition-chaos'`,
        );
        await sleep(100);
      }
    },
  },
  {
    name: 'hot-row-locks',
    description: `hold the locks of a hot member account and of the earning partner's issuance account for ${hotRowLockMs / 1000} s`,
    inject: async ({ environment }) => {
      await environment.admin.transaction(async (sql) => {
        await sql.query(
          `select id from account
           where (kind = 'member' and member_id = 'mbr_alice' and currency_code = 'SKY')
              or (kind = 'issuance' and partner_id = 'ptr_fuelco' and currency_code = 'SKY')
           for update`,
        );
        await sleep(hotRowLockMs);
      });
    },
  },
  {
    name: 'overload',
    description: `${overloadClients} more clients for ${overloadMs / 1000} s on top of the steady load`,
    inject: async ({ workload }) => {
      const until = performance.now() + overloadMs;
      await workload.run(overloadClients, () => performance.now() < until);
    },
  },
]);
