import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof levels)[number];
export type LogFormat = 'json' | 'pretty';

export interface LogSettings {
  level: LogLevel;
  format: LogFormat;
}

/**
 * LOG_LEVEL (default `info`; `silent` under jest, so tests stay quiet unless asked) and
 * LOG_FORMAT (`json`, one object a line, the default in production; `pretty`, coloured lines for
 * a developer's terminal, the default elsewhere). Throws naming the variable on a bad value.
 */
export function logSettings(env: NodeJS.ProcessEnv): LogSettings {
  const level = env.LOG_LEVEL || (env.NODE_ENV === 'test' ? 'silent' : 'info');
  if (!(levels as readonly string[]).includes(level)) {
    throw new Error(`LOG_LEVEL must be one of ${levels.join(', ')}, got "${level}"`);
  }
  const format = env.LOG_FORMAT || (env.NODE_ENV === 'production' ? 'json' : 'pretty');
  if (format !== 'json' && format !== 'pretty') {
    throw new Error(`LOG_FORMAT must be "json" or "pretty", got "${format}"`);
  }
  return { level: level as LogLevel, format };
}

/**
 * The gateway's logger (pino). JSON lines go to stdout through pino's own buffered writer;
 * `pretty` formats in this thread (no worker), which is fine for a terminal. `destination`
 * replaces stdout (tests read the lines from it).
 *
 * What is logged is ids, never secrets or personal data: the `redact` paths are a second line
 * of defence should a header or a token ever be passed to a log call by mistake.
 */
export function createLogger(
  settings: LogSettings,
  destination?: DestinationStream,
  base: Record<string, unknown> = { service: 'coalition-gateway' },
): Logger {
  const options: pino.LoggerOptions = {
    level: settings.level,
    base,
    timestamp: isoTimeOncePerMillisecond,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: ['authorization', 'token', '*.authorization', '*.token', 'headers', 'variables'],
      censor: '[redacted]',
    },
  };
  if (destination) return pino(options, destination);
  if (settings.format === 'pretty') {
    return pino(
      options,
      pretty({ sync: true, ignore: 'pid,hostname,service', translateTime: 'HH:MM:ss.l' }),
    );
  }
  // Buffered (4 KB, flushed on exit): a line per request costs no write system call of its own.
  return pino(
    options,
    new OncePerTurn(pino.destination({ dest: 1, sync: false, minLength: 4096 })),
  );
}

/**
 * A destination that hands its lines to pino's writer (sonic-boom) joined, once per event-loop
 * turn. sonic-boom measures the byte length of its whole pending chunk (up to 16 KB, flattened)
 * on every write, which made each request line's write cost 2.5-3 us at thousands of lines a
 * second; joined, that happens once per turn (1.1-1.4 us a line, measured in a loop of 20 lines
 * a turn). A line waits at most one turn; `flush`, `flushSync` and the process's exit hand over
 * what waits first. (sonic-boom's `flushSync` writes what it holds at once, even while an earlier
 * chunk's asynchronous write is in flight, so lines flushed at exit can land before that chunk;
 * pino without this destination does the same.)
 */
export class OncePerTurn implements DestinationStream {
  private waiting: string[] = [];
  private scheduled = false;

  constructor(private readonly writer: ReturnType<typeof pino.destination>) {
    // pino flushes its writer on exit (registered when it was made, so before this).
    process.once('exit', () => {
      try {
        this.flushSync();
      } catch {
        // The writer is closed already: nothing more can be written.
      }
    });
  }

  write(line: string): void {
    this.waiting.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.handOver);
    }
  }

  flush(done?: (error?: Error) => void): void {
    this.handOver();
    this.writer.flush(done);
  }

  flushSync(): void {
    this.handOver();
    this.writer.flushSync();
  }

  private readonly handOver = (): void => {
    this.scheduled = false;
    if (this.waiting.length === 0) return;
    const text = this.waiting.length === 1 ? this.waiting[0]! : this.waiting.join('');
    this.waiting = [];
    this.writer.write(text);
  };
}

let isoTimeMs = 0;
let isoTimeField = '';
/**
 * pino's `isoTime`, formatted once per millisecond: at thousands of request lines a second most
 * lines share their millisecond, and `toISOString` was 3 % of a cached read's CPU.
 */
function isoTimeOncePerMillisecond(): string {
  const now = Date.now();
  if (now !== isoTimeMs) {
    isoTimeMs = now;
    isoTimeField = `,"time":"${new Date(now).toISOString()}"`;
  }
  return isoTimeField;
}

/** The `log(line)` callbacks the composition root hands down, as info lines of `logger`. */
export function lineLogger(logger: Logger): (line: string) => void {
  return (line) => logger.info(line);
}

/** A logger that drops everything (tools and tests that pass none). */
export const silentLogger: Logger = pino({ level: 'silent' });
