import pg from 'pg';

/** A change notification: these members' points, lots or history changed. */
export type MembersChanged = (memberIds: readonly string[]) => void;

const reconnectDelayMsMax = 5_000;

/**
 * Listens to the database's `member_changed` channel (migration 0009: every committed statement
 * that inserts transfers names their members), on a connection of its own. Whenever the
 * connection is (re)established, `onReset` runs first: notifications sent while we were not
 * listening are lost, so anything derived from member data must be dropped.
 */
export class MemberChangeFeed {
  private client: pg.Client | undefined;
  private stopped = false;
  private attempts = 0;

  constructor(
    private readonly url: string,
    private readonly onChanged: MembersChanged,
    private readonly onReset: () => void,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'coalition-feed',
    });
    this.client = client;
    client.on('notification', (message) => {
      if (message.channel === 'member_changed' && message.payload) {
        this.onChanged(message.payload.split(','));
      }
    });
    client.on('error', () => undefined);
    let listening = false;
    client.on('end', () => {
      if (!listening) return;
      this.onReset();
      if (!this.stopped) this.retry();
    });
    try {
      await client.connect();
      await client.query('listen member_changed');
      listening = true;
      this.attempts = 0;
      this.onReset();
    } catch (error) {
      this.log(`member change feed: cannot listen (${(error as Error).message}); retrying`);
      await client.end().catch(() => undefined);
      if (!this.stopped) this.retry();
    }
  }

  private retry(): void {
    this.attempts++;
    const delay = Math.min(reconnectDelayMsMax, 100 * 2 ** this.attempts);
    setTimeout(() => {
      if (!this.stopped) void this.connect();
    }, delay).unref();
  }
}
