import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { exitWithParentEnv } from '../gateway/lifecycle';

/**
 * Node options the gateway is deployed with (package.json `start`, the Dockerfile; README,
 * "Configuration"). A 256 MB old space: without it V8 let the heap grow to 226-291 MB of RSS
 * under earn load (about 167 MB with it, earns/s no lower), since a 24 GB machine gives a
 * default limit of gigabytes. 32 MB semi-spaces, twice node's default: scavenges were 14-19 %
 * of the gateway's time on uncached reads (docs/reads.md, fourth round).
 */
export const gatewayNodeArgs = ['--max-old-space-size=256', '--max-semi-space-size=32'];

const readyTimeoutMs = 60_000;
const readyPollMs = 100;
const stopTimeoutMs = 15_000;

/**
 * A server under test in a process of its own (the gateway, the bare HTTP server), so its peak
 * memory can be read from /proc and the load generator never shares its event loop.
 */
export interface ServerProcess {
  pid: number;
  host: string;
  port: number;
  logFile: string;
  /**
   * Starts a new peak-RSS window (Linux clear_refs) for the process and its children (the
   * gateway's cluster workers); false when the kernel refuses.
   */
  resetPeakRss(): Promise<boolean>;
  /** Peak resident memory since start or the last reset (VmHWM), in bytes. */
  peakRssBytes(): Promise<number>;
  /** The same for the process and each of its children (GATEWAY_WORKERS > 1), by pid. */
  peakRssBytesEach(): Promise<{ pid: number; bytes: number }[]>;
  /** CPU time the process and its children have used so far (user + system), in seconds. */
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** A compiled JavaScript entry point, run with this Node. */
  script: string;
  /** Node options before the script (e.g. --cpu-prof). */
  nodeArgs?: string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Polled until it answers 200. */
  readyPath: string;
  host?: string;
}

export async function startServerProcess(options: StartOptions): Promise<ServerProcess> {
  const host = options.host ?? '127.0.0.1';
  const port = await freePort(host);
  const log = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script], {
      // The server stops by itself if the harness dies without stopping it.
      env: { ...options.env, HOST: host, PORT: String(port), ...exitWithParentEnv() },
      stdio: ['ignore', log, log],
    });
  } finally {
    closeSync(log);
  }
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const pid = child.pid!;
  const deadline = Date.now() + readyTimeoutMs;
  while (!(await answers(host, port, options.readyPath))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      const tail = (await readFile(options.logFile, 'utf8').catch(() => '')).slice(-2_000);
      throw new Error(
        `${options.script} ${exited ? 'exited' : 'did not answer'} before it was ready; log ${options.logFile}:\n${tail}`,
      );
    }
    await sleep(readyPollMs);
  }
  return {
    pid,
    host,
    port,
    logFile: options.logFile,
    resetPeakRss: async () => {
      try {
        // "5" resets the peak RSS (VmHWM) to the current RSS (Linux >= 4.0, see proc(5)).
        for (const each of await withChildren(pid))
          await writeFile(`/proc/${each}/clear_refs`, '5');
        return true;
      } catch {
        return false;
      }
    },
    peakRssBytes: () => peakRssBytes(pid),
    peakRssBytesEach: async () =>
      Promise.all(
        (await withChildren(pid)).map(async (each) => ({
          pid: each,
          bytes: await peakRssBytes(each),
        })),
      ),
    cpuSeconds: async () => {
      const each = await Promise.all((await withChildren(pid)).map(cpuSeconds));
      return each.reduce((sum, seconds) => sum + seconds, 0);
    },
    stop: async () => {
      if (exited) return;
      const exit = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** The process and its direct children (Linux: /proc/<pid>/task/<tid>/children). */
async function withChildren(pid: number): Promise<number[]> {
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return [pid, ...children.split(' ').filter(Boolean).map(Number)];
}

export async function peakRssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** utime + stime from /proc/<pid>/stat (fields 14 and 15, in clock ticks). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; the fields after it never do.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond();
}

let clockTicks: number | undefined;
function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

function answers(host: string, port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const call = request({ host, port, path, method: 'GET', timeout: 1_000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    call.on('error', () => resolve(false));
    call.on('timeout', () => call.destroy());
    call.end();
  });
}

/** A port free on `host` right now (the kernel's choice). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
