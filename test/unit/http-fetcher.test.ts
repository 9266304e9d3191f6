import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { createHttpFetcher } from '../../gateway/federation/http-fetcher';

/**
 * The keep-alive race with a partner service: it closes an idle connection just as the gateway
 * sends the next request on it. The request was never read, so the fetcher sends it again, once,
 * on a new connection. A reset of a new connection is an answer of its own: no second try.
 */
const answer =
  'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\nconnection: keep-alive\r\n\r\n{"ok":true}';

/** A raw HTTP server: `onRequest(socket, n)` decides for the n-th request of each connection. */
async function rawServer(onRequest: (socket: Socket, n: number) => void) {
  const connections: Socket[] = [];
  const server: Server = createServer((socket) => {
    connections.push(socket);
    let n = 0;
    socket.on('data', (chunk) => {
      if (chunk.includes('\r\n\r\n')) onRequest(socket, ++n);
    });
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    connections,
    close: async () => {
      for (const socket of connections) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' };

it('sends a request again, on a new connection, when its kept-alive connection is reset unread', async () => {
  // Each connection answers its first request and resets on its second.
  const server = await rawServer((socket, n) => {
    if (n === 1) socket.write(answer);
    else socket.resetAndDestroy();
  });
  const { fetcher, close } = createHttpFetcher(60_000);
  try {
    expect((await fetcher(server.url, post)).status).toBe(200);
    expect(await (await fetcher(server.url, post)).json()).toEqual({ ok: true });
    expect(server.connections).toHaveLength(2);
  } finally {
    close();
    await server.close();
  }
});

it('does not try again when a new connection is reset', async () => {
  const server = await rawServer((socket) => socket.resetAndDestroy());
  const { fetcher, close } = createHttpFetcher(60_000);
  try {
    await expect(fetcher(server.url, post)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(server.connections).toHaveLength(1);
  } finally {
    close();
    await server.close();
  }
});
