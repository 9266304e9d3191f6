import { mkdir, rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { runChild } from './child-processes';

const projectRoot = resolve(__dirname, '../..');
/** A build lock older than this was left by a killed test run. */
const staleLockMs = 5 * 60_000;

/**
 * Compiles the project into dist/ for tests that run the real entry points. Two test files
 * building at once would write the same files concurrently, so builds take a lock (a folder:
 * mkdir is atomic everywhere); the second build then finds nothing to do (tsc is incremental).
 * It compiles tsconfig.json, as `npm run typecheck` (run by `npm test` first) does, so in a
 * test run it only confirms that nothing changed instead of compiling the project again.
 */
export async function buildDist(): Promise<void> {
  const lock = resolve(projectRoot, 'dist/.build-lock');
  await mkdir(resolve(projectRoot, 'dist'), { recursive: true });
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
    const tsc = resolve(projectRoot, 'node_modules/typescript/bin/tsc');
    await runChild(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: projectRoot });
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}
