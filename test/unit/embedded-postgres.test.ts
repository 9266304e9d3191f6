import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { EmbeddedPostgres } from '../../gateway/db/embedded-postgres';

/**
 * The embedded server's life cycle on a fresh folder: first start initialises it; a server left
 * running by a killed process is detected and replaced; a server a live process owns is refused
 * with a clear message, and tools can attach to it instead.
 */
const folder = mkdtempSync(join(tmpdir(), 'coalition-embedded-'));
// When tests run as root, PostgreSQL runs as the postgres user and must reach the folder.
chmodSync(folder, 0o755);
const dataDir = join(folder, 'postgres');
const lines: string[] = [];
const options = { dataDir, preferredPort: 54349, log: (line: string) => lines.push(line) };

afterAll(() => {
  spawnSync('chmod', ['-R', 'u+rwX', folder]);
  rmSync(folder, { recursive: true, force: true });
});

async function selectOne(url: string): Promise<number> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query('select 1 as one')).rows[0].one;
  } finally {
    await client.end();
  }
}

const postmasterPid = () =>
  Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);

describe('the embedded PostgreSQL', () => {
  it('initialises a fresh folder, and replaces a server whose owner was killed', async () => {
    const first = await EmbeddedPostgres.start(options);
    expect(lines.some((line) => line.includes('first start'))).toBe(true);
    expect(await selectOne(first.url)).toBe(1);
    const stalePid = postmasterPid();

    // As if the gateway had been killed with kill -9: the server lives on, its owner is gone.
    const dead = spawnSync('true').pid;
    writeFileSync(join(dataDir, 'owner.pid'), String(dead));
    const second = await EmbeddedPostgres.start(options);
    expect(
      lines.some((line) => line.includes(`Found PostgreSQL (pid ${stalePid}) left running`)),
    ).toBe(true);
    expect(postmasterPid()).not.toBe(stalePid);
    expect(await selectOne(second.url)).toBe(1);

    // A live owner: starting again is refused, attaching works and stopping it is a no-op.
    const owner = spawn('sleep', ['30']);
    writeFileSync(join(dataDir, 'owner.pid'), String(owner.pid));
    try {
      await expect(EmbeddedPostgres.start(options)).rejects.toThrow(
        `in use by process ${owner.pid}`,
      );
      const attached = await EmbeddedPostgres.attachOrStart(options);
      expect(attached.port).toBe(second.port);
      await attached.stop();
      expect(await selectOne(second.url)).toBe(1);
    } finally {
      owner.kill();
    }
    await second.stop();
  });

  it('restarts a supervised server that was killed, with what was committed', async () => {
    const server = await EmbeddedPostgres.start(options);
    try {
      const client = new pg.Client(server.url);
      await client.connect();
      await client.query('create table survives (n int); insert into survives values (42)');
      await client.end();
      server.supervise((line) => lines.push(line));
      const killed = postmasterPid();
      process.kill(killed, 'SIGKILL');
      // As long as it takes: the supervisor notices, then crash recovery runs.
      for (;;) {
        const restarted = lines.some((line) => line.includes('serves again'));
        if (restarted && (await selectOne(server.url).catch(() => 0)) === 1) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(lines).toContainEqual(expect.stringContaining(`(pid ${killed}) died; restarting`));
      expect(postmasterPid()).not.toBe(killed);
      const after = new pg.Client(server.url);
      await after.connect();
      try {
        expect((await after.query('select n from survives')).rows).toEqual([{ n: 42 }]);
      } finally {
        await after.end();
      }
    } finally {
      await server.stop();
    }
  });
});
