import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { exitWithParentEnv } from '../../gateway/lifecycle';

/**
 * Every process a test starts goes through here, so none outlives the test (issue 11.5):
 * - each is registered, and `stopChildren()` (call it in afterAll) stops them: SIGTERM, then
 *   SIGKILL after `stopTimeoutMs`;
 * - when the Jest worker exits without that (a failure before afterAll, a force exit), an
 *   'exit' hook kills what is left;
 * - each is started with EXIT_WITH_PARENT (this process's pid): the gateway, the partner
 *   services and the bench harness stop by themselves when their parent is gone, even while
 *   they are still starting, which covers a worker killed with SIGKILL, where no hook runs.
 *   Their own children get the same, so the chain unwinds.
 */
const children = new Set<ChildProcess>();
const stopTimeoutMs = 15_000;

process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export function spawnChild(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): ChildProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...(options.env ?? process.env), ...exitWithParentEnv() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Runs a command to its end; rejects with its output when it fails. Registered meanwhile. */
export async function runChild(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ stdout: string; stderr: string }> {
  const child = spawnChild(command, args, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) {
    throw Object.assign(new Error(`${command} ${args.join(' ')} exited with ${code}`), {
      stdout,
      stderr,
    });
  }
  return { stdout, stderr };
}

/** Stops every process still running: SIGTERM, then SIGKILL for one that does not stop. */
export async function stopChildren(): Promise<void> {
  await Promise.all(
    [...children].map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      await exited;
      clearTimeout(timer);
    }),
  );
}

/** Whether a process is running (not a zombie). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const state = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)])
    .stdout.toString()
    .trim();
  return state !== '' && !state.startsWith('Z');
}
