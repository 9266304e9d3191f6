import { Writable } from 'node:stream';
import { createLogger } from '../../gateway/observability/logger';

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
