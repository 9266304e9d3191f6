import type { ServerResponse } from 'node:http';

/** A JSON answer with its length: the HTTP server's and the web routes' one way to send one. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
