import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { beginRequest } from '../../gateway/http/request-log';
import { createLogger, OncePerTurn } from '../../gateway/observability/logger';

function capture(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const text of String(chunk).split('\n')) if (text) lines.push(JSON.parse(text));
      done();
    },
  });
  return { lines, stream };
}

describe('the gateway logger', () => {
  it('redacts a header, a token or variables passed to a log call by mistake', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info', format: 'json' }, stream);
    logger.info(
      { authorization: 'Bearer x', token: 't', headers: { a: 1 }, variables: { email: 'e' } },
      'oops',
    );
    logger.info({ request: { authorization: 'Bearer y', token: 'u' } }, 'nested');
    expect(lines[0]).toMatchObject({
      authorization: '[redacted]',
      token: '[redacted]',
      headers: '[redacted]',
      variables: '[redacted]',
    });
    expect(lines[1]).toMatchObject({
      request: { authorization: '[redacted]', token: '[redacted]' },
    });
  });

  it('stamps each line with the ISO time of its millisecond', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info', format: 'json' }, stream);
    for (let i = 0; i < 1_000; i++) {
      const before = Date.now();
      logger.info('tick');
      const after = Date.now();
      const stamped = Date.parse(String(lines.at(-1)!.time));
      expect(stamped).toBeGreaterThanOrEqual(before);
      expect(stamped).toBeLessThanOrEqual(after);
    }
    expect(String(lines[0]!.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

/** A finished response of `status` to a request of `method`, closed by `close()`. */
function exchange(method: string, status: number) {
  const response = Object.assign(new EventEmitter(), {
    statusCode: status,
    writableFinished: true,
    setHeader: () => undefined,
  });
  const request = { method, headers: { 'x-request-id': 'req-1' } };
  return {
    request: request as unknown as IncomingMessage,
    response: response as unknown as ServerResponse,
    close: () => response.emit('close'),
  };
}

describe('request lines', () => {
  it('are the lines pino writes for the same fields', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'debug', format: 'json' }, stream);
    const cases = [
      { path: '/graphql', status: 200, caller: { kind: 'member', memberId: 'm-1' } },
      { path: '/gra"ph\\ql/\u00e9\n', status: 400, caller: undefined },
      { path: '/healthz', status: 503, caller: { kind: 'partner', partnerId: 'p"1' } },
    ] as const;
    for (const { path, status, caller } of cases) {
      const { request, response, close } = exchange('POST', status);
      const record = beginRequest(logger, request, response, path, '/graphql');
      record.caller = caller;
      if (path === '/graphql') {
        record.operation = 'wallet';
        record.operationName = 'Wallet';
        record.outcome = 'ok';
      }
      close();
    }
    expect(lines).toHaveLength(3);
    for (const [index, line] of lines.entries()) {
      const { time, durationMs, ...fields } = line;
      expect(typeof time).toBe('string');
      expect(typeof durationMs).toBe('number');
      // pino's own line for the same fields, but for its time and duration.
      const level = index === 0 ? 'info' : 'debug';
      logger[level]({ ...fields, level: undefined, msg: undefined }, 'request');
      const { time: _time, ...pinoFields } = lines.at(-1)!;
      lines.pop();
      expect(fields).toEqual(pinoFields);
    }
    expect(lines[0]).toMatchObject({
      level: 'info',
      service: 'coalition-gateway',
      requestId: 'req-1',
      method: 'POST',
      path: '/graphql',
      status: 200,
      callerKind: 'member',
      callerId: 'm-1',
      operation: 'wallet',
      operationName: 'Wallet',
      outcome: 'ok',
      msg: 'request',
    });
    expect(lines[1]).toMatchObject({ level: 'debug', path: cases[1].path, outcome: '400' });
    expect(lines[2]).toMatchObject({ callerKind: 'partner', callerId: 'p"1', outcome: '503' });
  });

  it('are not written below their level', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info', format: 'json' }, stream);
    const { request, response, close } = exchange('GET', 200);
    beginRequest(logger, request, response, '/healthz', '/graphql');
    close();
    expect(lines).toEqual([]);
  });
});

describe('the once-per-turn destination', () => {
  it('writes every line, in order, a turn later or at once on flushSync', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'lines-'));
    try {
      const file = join(directory, 'out.log');
      const writer = pino.destination({ dest: file, sync: false, minLength: 4096 });
      await new Promise((ready) => writer.once('ready', ready));
      const destination = new OncePerTurn(writer);
      for (let i = 0; i < 1_000; i++) destination.write(`line ${i}\n`);
      await new Promise(setImmediate);
      // Wait for the turn's lines to land: sonic-boom's flushSync writes what it holds at once,
      // even past a write still in flight (its own behaviour, with or without this destination).
      await new Promise<void>((done, fail) =>
        destination.flush((error) => (error ? fail(error) : done())),
      );
      destination.write('last\n');
      expect(readFileSync(file, 'utf8')).not.toContain('last');
      destination.flushSync();
      const written = readFileSync(file, 'utf8').split('\n');
      expect(written).toEqual([
        ...Array.from({ length: 1_000 }, (_, i) => `line ${i}`),
        'last',
        '',
      ]);
      writer.end();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
