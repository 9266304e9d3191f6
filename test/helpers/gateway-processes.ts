import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { freePort } from '../../bench/server-process';
import { spawnChild } from './child-processes';

export const projectRoot = resolve(__dirname, '../..');
/** `npm start`'s entry point, compiled (call buildDist() first). */
export const gatewayScript = join(projectRoot, 'dist/gateway/main.js');

/** A child's output so far, and a wait for a text in it that fails if the child exits first. */
export function outputOf(child: ChildProcess): {
  text: () => string;
  when: (text: string) => Promise<void>;
} {
  let output = '';
  const waiting: { text: string; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const wait of [...waiting]) {
      if (output.includes(wait.text)) {
        waiting.splice(waiting.indexOf(wait), 1);
        wait.resolve();
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return {
    text: () => output,
    when: (text) =>
      new Promise<void>((resolvePromise, reject) => {
        if (output.includes(text)) return resolvePromise();
        waiting.push({ text, resolve: resolvePromise });
        child.once('exit', () => reject(new Error(`exited before "${text}":\n${output}`)));
      }),
  };
}

export interface GatewayProcess {
  child: ChildProcess;
  port: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  output: ReturnType<typeof outputOf>;
}

/**
 * Starts `npm start`'s process (registered with child-processes: stopChildren() stops it) on a
 * free port and resolves once it has printed its banner.
 */
export async function startGatewayProcess(env: NodeJS.ProcessEnv): Promise<GatewayProcess> {
  const port = await freePort('127.0.0.1');
  const child = spawnChild(process.execPath, [gatewayScript], {
    env: { ...env, PORT: String(port), HOST: '127.0.0.1' },
  });
  const output = outputOf(child);
  await output.when('Coalition gateway ready');
  return { child, port, origin: `http://127.0.0.1:${port}`, output };
}

/** Resolves with the exit code once the child has exited. */
export async function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}
