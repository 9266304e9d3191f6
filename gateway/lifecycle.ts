/**
 * What a start has started, so that a stop at any moment (a signal during start-up included)
 * stops exactly that, in reverse order. The composition root registers each part right after
 * starting it; once a stop is requested, registering throws StartInterrupted, so the start ends
 * at its next step and nothing more is started.
 */
export class Lifecycle {
  private readonly stops: { name: string; stop: () => Promise<void> }[] = [];
  private stopRequested = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly log: (line: string) => void) {}

  /** Asks the start in progress to end at its next step; `stop()` then stops what it started. */
  requestStop(): void {
    this.stopRequested = true;
  }

  /**
   * Registers how to stop a part that has just started. Throws StartInterrupted when a stop was
   * requested meanwhile (the part is stopped by `stop()` with the others).
   */
  started(name: string, stop: () => Promise<void>): void {
    this.stops.push({ name, stop });
    // Stopping began already (the start went on past a failure): this part is stopped next.
    if (this.stopping) this.stopping = this.stopping.then(() => this.stopRemaining());
    if (this.stopRequested) throw new StartInterrupted(name);
  }

  /** Throws StartInterrupted when a stop was requested: the start goes no further. */
  checkpoint(step: string): void {
    if (this.stopRequested) throw new StartInterrupted(step);
  }

  /** Stops every registered part, last started first; a failing stop does not skip the rest. */
  stop(): Promise<void> {
    this.stopRequested = true;
    this.stopping ??= this.stopRemaining();
    return this.stopping;
  }

  private async stopRemaining(): Promise<void> {
    for (let part = this.stops.pop(); part; part = this.stops.pop()) {
      try {
        await part.stop();
      } catch (error) {
        this.log(`while stopping ${part.name}: ${(error as Error).message}`);
      }
    }
  }
}

/** A start cut short by a stop request: not a failure. */
export class StartInterrupted extends Error {
  constructor(step: string) {
    super(`start interrupted (at ${step})`);
  }
}

/** What a process starting a child it wants stopped with it adds to the child's environment. */
export function exitWithParentEnv(): { EXIT_WITH_PARENT: string } {
  return { EXIT_WITH_PARENT: String(process.pid) };
}

/** How often a child started with EXIT_WITH_PARENT checks that its parent is still there. */
const parentCheckIntervalMs = 500;

/**
 * For processes started by tests and harnesses (EXIT_WITH_PARENT): calls `onParentGone` once
 * when the process that started this one has exited, however it exited (a test runner killed on
 * a timeout runs no cleanup of its own). A dead parent's children are re-parented, so a changed
 * parent pid says it; no signal or pipe is needed.
 *
 * EXIT_WITH_PARENT is the starting process's pid (`exitWithParentEnv`), so a parent that died
 * while this process was still loading, before this check began, is noticed too: a partner
 * service whose bench was killed during its start lived on otherwise. Any other value (`1`)
 * means whichever process is the parent when the check begins. Once read, it is set to `1` in
 * `environment`, so this process's own children (cluster workers) watch this process.
 */
export function exitWithParent(
  environment: NodeJS.ProcessEnv,
  onParentGone: () => void,
): { stop(): void } {
  const declared = environment.EXIT_WITH_PARENT;
  if (!declared) return { stop: () => undefined };
  const declaredPid = /^\d+$/.test(declared) ? Number(declared) : 0;
  const parentPid = declaredPid > 1 ? declaredPid : process.ppid;
  environment.EXIT_WITH_PARENT = '1';
  if (process.ppid !== parentPid) {
    setImmediate(onParentGone);
    return { stop: () => undefined };
  }
  const timer = setInterval(() => {
    if (process.ppid === parentPid) return;
    clearInterval(timer);
    onParentGone();
  }, parentCheckIntervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * A process's stop on SIGINT, SIGTERM or (EXIT_WITH_PARENT) its parent's exit, installed before
 * anything starts: the step of the start in flight finishes and nothing more starts, then every
 * started part stops and the process exits 0. A second signal exits at once with 1, unless
 * `repeatIgnored` (a cluster worker told by Ctrl-C and by its primary finishes its drain).
 */
export function stopOnSignals(options: {
  lifecycle: Lifecycle;
  log: (line: string) => void;
  /** What stopping does, for the log line. */
  stopsWhat: string;
  /** The start in flight, awaited before stopping (it ends at its next step). */
  starting: () => Promise<unknown>;
  /** Runs first, synchronously, when a stop begins. */
  onStop?: () => void;
  /** Runs before exiting on a second signal. */
  onForcedExit?: () => void;
  repeatIgnored?: boolean;
}): { stop(reason: string): Promise<void>; readonly stopping: boolean } {
  const { lifecycle, log } = options;
  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping && options.repeatIgnored) return;
    if (stopping) {
      log(`${reason} again: exiting now`);
      options.onForcedExit?.();
      process.exit(1);
    }
    stopping = true;
    options.onStop?.();
    log(`${reason}: stopping (${options.stopsWhat})...`);
    lifecycle.requestStop();
    await options.starting().catch(() => undefined);
    await lifecycle.stop();
    log('gateway stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Started by a test or a harness that died: nobody will send the signal.
  exitWithParent(process.env, () => void stop('parent process exited'));
  return {
    stop,
    get stopping() {
      return stopping;
    },
  };
}
