import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { runStandaloneServer } from './standalone-server';

/**
 * The baseline of read_vs_bare_http: a bare node:http server that reads each request's body and
 * answers with fixed bytes (the gateway's own wallet response, captured by the harness) and the
 * same headers. Run as its own process: `node dist/bench/bare-http-server.js` with
 * BARE_BODY_FILE, BARE_HEADERS (JSON), HOST and PORT.
 */
const body = readFileSync(process.env.BARE_BODY_FILE!);
const headers = JSON.parse(process.env.BARE_HEADERS ?? '{}') as Record<string, string>;

const server = createServer((request, response) => {
  // Consume the request like the gateway does before it can answer.
  request.on('data', () => undefined);
  request.on('end', () => {
    response.writeHead(200, { ...headers, 'content-length': body.length });
    response.end(body);
  });
});
runStandaloneServer(server);
