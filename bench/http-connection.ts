import { connect, type Socket } from 'node:net';

const headerEnd = Buffer.from('\r\n\r\n');
const lineEnd = Buffer.from('\r\n');

export interface HttpAnswer {
  status: number;
  body: Buffer;
}

/**
 * One keep-alive HTTP/1.1 connection that sends a request and reads its answer, one at a time.
 *
 * Why not node:http: its client costs about twice the CPU per request of a bare node:http
 * server, so on a 2-core machine the load generator, not the server, would set the bare
 * baseline's rate and flatter every ratio against it. This client writes the request bytes as
 * they are and reads only the status, Content-Length or chunked framing, and the body.
 */
export class HttpConnection {
  private socket: Socket | undefined;
  private received: Buffer = Buffer.alloc(0);
  private waiting: { resolve(answer: HttpAnswer): void; reject(error: Error): void } | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs: number,
  ) {}

  /** Sends a POST with `headers` and `body`; reconnects first when the server closed. */
  async post(path: string, headers: Record<string, string>, body: string): Promise<HttpAnswer> {
    if (this.waiting) throw new Error('one request at a time on a connection');
    const socket = this.socket ?? (await this.open());
    let head = `POST ${path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\n`;
    for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
    head += `content-length: ${Buffer.byteLength(body)}\r\n\r\n`;
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      socket.write(head + body);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.port, noDelay: true });
      socket.setTimeout(this.timeoutMs);
      socket.once('connect', () => {
        socket.off('error', reject);
        this.socket = socket;
        this.received = Buffer.alloc(0);
        resolve(socket);
      });
      socket.once('error', reject);
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('timeout', () => socket.destroy(new Error('request timed out')));
      socket.on('error', (error) => this.fail(socket, error));
      socket.on('close', () => this.fail(socket, new Error('connection closed by the server')));
    });
  }

  private fail(socket: Socket, error: Error): void {
    if (this.socket === socket) this.socket = undefined;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(error);
  }

  private onData(chunk: Buffer): void {
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    if (!this.waiting) return;
    const answer = parseAnswer(this.received);
    if (!answer) return;
    this.received = this.received.subarray(answer.length);
    const waiting = this.waiting;
    this.waiting = undefined;
    if (answer.closes) this.close();
    waiting.resolve({ status: answer.status, body: answer.body });
  }
}

interface ParsedAnswer extends HttpAnswer {
  /** Bytes the answer took in the buffer. */
  length: number;
  closes: boolean;
}

/** One complete HTTP/1.1 answer at the start of `data`, or undefined while it is incomplete. */
export function parseAnswer(data: Buffer): ParsedAnswer | undefined {
  const end = data.indexOf(headerEnd);
  if (end < 0) return undefined;
  const head = data.toString('latin1', 0, end);
  const status = Number(head.slice(9, 12));
  const closes = /\r\nconnection:\s*close/i.test(head);
  const bodyStart = end + headerEnd.length;
  const declared = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (declared) {
    const bodyEnd = bodyStart + Number(declared[1]);
    if (data.length < bodyEnd) return undefined;
    return { status, body: data.subarray(bodyStart, bodyEnd), length: bodyEnd, closes };
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    const chunked = readChunks(data, bodyStart);
    return chunked && { status, body: chunked.body, length: chunked.length, closes };
  }
  // No framing (204, 304): an empty body.
  return { status, body: Buffer.alloc(0), length: bodyStart, closes };
}

function readChunks(data: Buffer, start: number): { body: Buffer; length: number } | undefined {
  const parts: Buffer[] = [];
  let position = start;
  for (;;) {
    const sizeEnd = data.indexOf(lineEnd, position);
    if (sizeEnd < 0) return undefined;
    const size = Number.parseInt(data.toString('latin1', position, sizeEnd), 16);
    const chunkStart = sizeEnd + lineEnd.length;
    if (size === 0) {
      // The last chunk; no trailers are sent by the servers under test.
      const end = chunkStart + lineEnd.length;
      return data.length < end ? undefined : { body: Buffer.concat(parts), length: end };
    }
    if (data.length < chunkStart + size + lineEnd.length) return undefined;
    parts.push(data.subarray(chunkStart, chunkStart + size));
    position = chunkStart + size + lineEnd.length;
  }
}
