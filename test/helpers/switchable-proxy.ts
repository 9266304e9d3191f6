import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';

/**
 * A reverse proxy in front of a partner service that a test can break: `hang` gives no answer
 * at all (a stuck service), `down` resets every connection (a crashed one). Only for tests, on
 * 127.0.0.1.
 */
export interface SwitchableProxy {
  url: string;
  mode: 'pass' | 'hang' | 'down';
  /** The headers of the last request it received (a test reads what the gateway sent). */
  lastHeaders?: IncomingHttpHeaders;
  /** Requests received so far, whatever the mode. */
  requests: number;
  /** Passes the service's answers on as `private` where they said `public` (a test's partner). */
  privateAnswers: boolean;
  /**
   * Holds every request passed on from now until the returned function is called (a slow
   * partner whose answer a test decides when to give), then passes them on, or with `'fail'`
   * answers each 502 (a failure the gateway does not retry, as it does a reset connection).
   */
  hold(): (outcome?: 'pass' | 'fail') => void;
  close(): Promise<void>;
}

export async function startSwitchableProxy(target: string): Promise<SwitchableProxy> {
  const targetUrl = new URL(target);
  const sockets = new Set<Socket>();
  const passing = Promise.resolve<'pass' | 'fail'>('pass');
  let held = passing;
  const proxy: SwitchableProxy = {
    url: '',
    mode: 'pass',
    requests: 0,
    privateAnswers: false,
    hold: () => {
      let release: (outcome: 'pass' | 'fail') => void = () => undefined;
      const holding = new Promise<'pass' | 'fail'>((resolve) => {
        release = resolve;
      });
      held = holding;
      return (outcome = 'pass') => {
        release(outcome);
        // Only the requests held so far: later ones pass.
        if (held === holding) held = passing;
      };
    },
    close: async () => undefined,
  };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    proxy.lastHeaders = request.headers;
    proxy.requests++;
    if (proxy.mode === 'hang') return; // never answers
    if (proxy.mode === 'down') {
      request.socket.destroy();
      return;
    }
    const privateAnswers = proxy.privateAnswers;
    void held.then((outcome) => {
      if (outcome === 'fail') response.writeHead(502).end();
      else void forward(targetUrl, request, response, privateAnswers);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  proxy.url = `http://127.0.0.1:${port}${targetUrl.pathname}`;
  proxy.close = () =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return proxy;
}

async function forward(
  target: URL,
  request: IncomingMessage,
  response: ServerResponse,
  privateAnswers: boolean,
) {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const headers = Object.fromEntries(
    Object.entries(request.headers).filter(
      ([name, value]) =>
        typeof value === 'string' && !['host', 'content-length', 'connection'].includes(name),
    ),
  ) as Record<string, string>;
  try {
    const answer = await fetch(new URL(path, target), {
      method: request.method,
      headers,
      body: request.method === 'GET' ? undefined : Buffer.concat(chunks),
    });
    const cacheControl = answer.headers.get('cache-control') ?? 'no-store';
    response.writeHead(answer.status, {
      'content-type': answer.headers.get('content-type') ?? '',
      'cache-control': privateAnswers ? cacheControl.replace(/public/i, 'private') : cacheControl,
    });
    response.end(Buffer.from(await answer.arrayBuffer()));
  } catch {
    response.writeHead(502).end();
  }
}
