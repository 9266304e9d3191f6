import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { runChild } from './child-processes';
import { runIdVariable } from './test-environment';

const projectRoot = resolve(__dirname, '../..');
/** A build lock older than this was left by a killed test run. */
const staleLockMs = 5 * 60_000;

/**
 * Compiles the project into dist/ for tests that run the real entry points. Two test files
 * building at once would write the same files concurrently, so builds take a lock (a folder:
 * mkdir is atomic everywhere); the second build then finds nothing to do (tsc is incremental).
 * It compiles tsconfig.json, as `npm run typecheck` (run by `npm test` first) does, so in a
 * test run it only confirms that nothing changed instead of compiling the project again.
 * Even that takes tsc about 5 s of CPU, and six files call it: the first build of a Jest run
 * leaves a marker named after the run (a random id the global setup draws), and later calls
 * in the same run return at once, since the sources do not change during a run.
 */
export async function buildDist(): Promise<void> {
  const dist = resolve(projectRoot, 'dist');
  const lock = resolve(dist, '.build-lock');
  const run = process.env[runIdVariable];
  const marker = run ? resolve(dist, `.built-in-${run}`) : undefined;
  await mkdir(dist, { recursive: true });
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      const age = await stat(lock).then(
        (found) => Date.now() - found.mtimeMs,
        () => 0,
      );
      if (age > staleLockMs) await rm(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    if (marker && existsSync(marker)) return;
    const tsc = resolve(projectRoot, 'node_modules/typescript/bin/tsc');
    await runChild(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: projectRoot });
    if (marker) {
      // Earlier runs' markers go: only this run's says anything.
      for (const name of await readdir(dist)) {
        if (name.startsWith('.built-in-')) await rm(resolve(dist, name), { force: true });
      }
      await writeFile(marker, '');
    }
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}
