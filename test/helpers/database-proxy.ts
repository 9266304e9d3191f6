import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy in front of the test PostgreSQL that a test can cut: `down` drops every open
 * connection and every new one (a server that died), `pass` forwards again (it is back). Only
 * for tests, on 127.0.0.1.
 */
export interface DatabaseProxy {
  /** `databaseUrl` with its host and port replaced by the proxy's. */
  url: string;
  mode: 'pass' | 'down';
  close(): Promise<void>;
}

export async function startDatabaseProxy(databaseUrl: string): Promise<DatabaseProxy> {
  const target = new URL(databaseUrl);
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  let mode: DatabaseProxy['mode'] = 'pass';
  const server = createServer((client) => {
    track(client);
    if (mode === 'down') {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const proxied = new URL(databaseUrl);
  proxied.hostname = '127.0.0.1';
  proxied.port = String((server.address() as { port: number }).port);
  return {
    url: proxied.toString(),
    get mode() {
      return mode;
    },
    set mode(next) {
      mode = next;
      if (next === 'down') for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
