import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpConnection, parseAnswer } from '../../bench/http-connection';

describe('HttpConnection (the load generator’s client)', () => {
  let server: Server;
  let port: number;
  const sockets = new Set<unknown>();
  beforeAll(async () => {
    server = createServer((request, response) => {
      sockets.add(request.socket);
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        if (request.url === '/chunked') {
          response.write('first,');
          response.end(`second:${body}`);
        } else if (request.url === '/close') {
          response.setHeader('connection', 'close');
          response.end('bye');
        } else {
          response.statusCode = request.headers.authorization === 'Bearer t' ? 200 : 401;
          response.end(`echo:${body}`);
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('sends requests one after another over one kept-alive connection', async () => {
    sockets.clear();
    const connection = new HttpConnection('127.0.0.1', port, 5_000);
    const first = await connection.post('/', { authorization: 'Bearer t' }, '{"a":1}');
    const second = await connection.post('/', {}, 'é');
    connection.close();
    expect([first.status, first.body.toString()]).toEqual([200, 'echo:{"a":1}']);
    expect([second.status, second.body.toString()]).toEqual([401, 'echo:é']);
    expect(sockets.size).toBe(1);
  });

  it('reads chunked answers and reconnects after the server closes', async () => {
    sockets.clear();
    const connection = new HttpConnection('127.0.0.1', port, 5_000);
    const chunked = await connection.post('/chunked', {}, 'x');
    const closing = await connection.post('/close', {}, '');
    const after = await connection.post('/', { authorization: 'Bearer t' }, 'again');
    connection.close();
    expect(chunked.body.toString()).toBe('first,second:x');
    expect(closing.body.toString()).toBe('bye');
    expect(after.body.toString()).toBe('echo:again');
    expect(sockets.size).toBe(2);
  });

  it('waits for the whole body before answering', () => {
    const whole = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1');
    expect(parseAnswer(whole.subarray(0, 40))).toBeUndefined();
    const answer = parseAnswer(whole)!;
    expect([answer.status, answer.body.toString(), answer.length, answer.closes]).toEqual([
      200,
      'hello',
      43,
      false,
    ]);
  });
});
