import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A change notification: these members' points, lots or history changed. */
export type MembersChanged = (memberIds: readonly string[]) => void;

const reconnectDelayMsMax = 5_000;
/** A barrier or a fleet sync not answered by then is given up (the answer is "not fresh"). */
const barrierTimeoutMs = 2_000;
const fleetSyncTimeoutMs = 5_000;
/** How often the number of other gateway processes on the database is counted again. */
const peerCountIntervalMs = 2_000;
const applicationNamePrefix = 'coalition-feed ';

/** What a process does with the feed's notifications; each may be async (they run in order). */
export interface ChangeHandlers {
  /** Migration 0009: these members' balances, lots or history changed. */
  membersChanged(memberIds: readonly string[]): void;
  /** Migration 0024: a configuration table changed (partner, currency, partner_service...). */
  tableChanged(table: string): void | Promise<void>;
  /** The feed (re)connected: notifications may have been missed, drop or reload everything. */
  reset(): void | Promise<void>;
}

/**
 * The database's change feed, on a connection of its own, and what makes a write acknowledged
 * by one gateway process visible to the next read any other process serves
 * (docs/reliability.md, "Several gateway processes"):
 *
 * - Notifications are handled one at a time, in the order the database delivered them, which is
 *   the order their transactions committed.
 * - `fresh()` is a barrier: it notifies a channel only this process listens to, and resolves
 *   when that notification comes back. Every notification committed before it has been handled
 *   by then, so an answer from memory taken after it reflects every write acknowledged before
 *   the request arrived. Concurrent callers share one barrier; with no other gateway process
 *   on the database it costs nothing (this process's own writes invalidate synchronously).
 * - `propagate()` is the same across processes: it asks every listening gateway process to
 *   answer once it has handled everything before the question, and waits for all the answers.
 *   Configuration writes (the operator's) wait for it before they are acknowledged.
 */
export class ChangeFeed {
  private client: pg.Client | undefined;
  private stopped = false;
  private attempts = 0;
  private listening = false;
  /** Notifications handled in order: each waits for the previous one's handler. */
  private chain: Promise<void> = Promise.resolve();
  private readonly id = `${process.pid}-${randomBytes(6).toString('hex')}`;
  private readonly barrierChannel = `coalition_barrier_${this.id.replace(/-/g, '_')}`;
  private barrier: { token: string; waiters: ((fresh: boolean) => void)[] } | undefined;
  private nextWaiters: ((fresh: boolean) => void)[] = [];
  private tokens = 0;
  private readonly fleetSyncs = new Map<string, { pending: Set<string>; done: () => void }>();
  private peers = { count: 0, announced: 0 };
  private peerTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly handlers: ChangeHandlers,
    private readonly log: (line: string) => void,
  ) {}

  /** Connects and listens; then tells every other process, so they count this one from now on. */
  async start(): Promise<void> {
    await this.connect();
    await this.countPeers();
    await this.propagate();
    this.peerTimer = setInterval(() => void this.countPeers(), peerCountIntervalMs);
    this.peerTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.peerTimer);
    this.finishBarrier(this.barrier?.token, false);
    await this.client?.end().catch(() => undefined);
  }

  /**
   * A check that holds while the feed listens on the connection it has now: false once that
   * connection drops, and still false after a reconnect (what was derived from the feed before
   * may have missed notifications; the reset handler derives it again).
   */
  listeningNow(): () => boolean {
    const client = this.client;
    if (!this.listening || !client) return () => false;
    return () => this.listening && this.client === client;
  }

  /**
   * Resolves true once every change committed before the call has been handled here; false
   * when that cannot be known (the feed is down, or the barrier timed out): answer from the
   * database then, not from memory.
   */
  fresh(): Promise<boolean> {
    if (!this.listening) return Promise.resolve(false);
    if (this.peers.count === 0 && this.peers.announced === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      this.nextWaiters.push(resolve);
      if (!this.barrier) this.sendBarrier();
    });
  }

  /**
   * Resolves once every gateway process listening to this database has handled every change
   * committed before the call (or after fleetSyncTimeoutMs, for a process that does not answer).
   */
  async propagate(): Promise<void> {
    const client = this.client;
    if (!client || !this.listening) return;
    const token = `${this.id}:${++this.tokens}`;
    const others = await client.query<{ name: string }>(
      `select substr(application_name, $1) as name from pg_stat_activity
       where datname = current_database() and application_name like $2`,
      [applicationNamePrefix.length + 1, `${applicationNamePrefix}%`],
    );
    const pending = new Set(others.rows.map((row) => row.name));
    pending.add(this.id);
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.fleetSyncs.set(token, { pending, done: resolve });
      timer = setTimeout(() => {
        this.log(`change feed: no answer from ${[...pending].join(', ')}; going on`);
        resolve();
      }, fleetSyncTimeoutMs);
      client.query("select pg_notify('coalition_sync', $1)", [token]).catch(() => resolve());
    });
    clearTimeout(timer);
    this.fleetSyncs.delete(token);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: `${applicationNamePrefix}${this.id}`,
      // Barriers and sync answers carry no data: their commits need not wait for the disk.
      options: '-c synchronous_commit=off',
    });
    this.client = client;
    client.on('notification', (message) => this.enqueue(message));
    client.on('error', () => undefined);
    client.on('end', () => {
      if (!this.listening) return;
      this.listening = false;
      this.finishBarrier(this.barrier?.token, false);
      this.enqueueHandler(() => this.handlers.reset());
      if (!this.stopped) this.retry();
    });
    try {
      await client.connect();
      await client.query(
        `listen member_changed; listen coalition_changed; listen coalition_sync;
         listen coalition_synced; listen ${this.barrierChannel}`,
      );
      this.listening = true;
      this.attempts = 0;
      this.enqueueHandler(() => this.handlers.reset());
    } catch (error) {
      this.log(`change feed: cannot listen (${(error as Error).message}); retrying`);
      await client.end().catch(() => undefined);
      if (!this.stopped) this.retry();
    }
  }

  private enqueue(message: pg.Notification): void {
    const payload = message.payload ?? '';
    switch (message.channel) {
      case 'member_changed':
        if (payload) this.enqueueHandler(() => this.handlers.membersChanged(payload.split(',')));
        return;
      case 'coalition_changed':
        this.enqueueHandler(() => this.handlers.tableChanged(payload));
        return;
      case 'coalition_sync':
        // Answered once everything before it is handled; another process's sync announces it.
        if (!payload.startsWith(`${this.id}:`)) this.peers.announced++;
        this.enqueueHandler(() => this.answerSync(payload));
        return;
      case 'coalition_synced':
        this.receiveSyncAnswer(payload);
        return;
      case this.barrierChannel:
        this.enqueueHandler(() => this.finishBarrier(payload, true));
        return;
    }
  }

  private enqueueHandler(handler: () => void | Promise<void>): void {
    this.chain = this.chain.then(handler).catch((error: unknown) => {
      this.log(`change feed: a handler failed: ${(error as Error).message}`);
    });
  }

  private async answerSync(token: string): Promise<void> {
    await this.client
      ?.query("select pg_notify('coalition_synced', $1)", [`${token} ${this.id}`])
      .catch(() => undefined);
  }

  private receiveSyncAnswer(payload: string): void {
    const [token, from] = payload.split(' ');
    const sync = this.fleetSyncs.get(token ?? '');
    if (!sync || !from) return;
    sync.pending.delete(from);
    if (sync.pending.size === 0) sync.done();
  }

  private sendBarrier(): void {
    const client = this.client;
    const waiters = this.nextWaiters;
    this.nextWaiters = [];
    const token = String(++this.tokens);
    this.barrier = { token, waiters };
    setTimeout(() => this.finishBarrier(token, false), barrierTimeoutMs).unref();
    if (!client) {
      this.finishBarrier(token, false);
      return;
    }
    client
      .query('select pg_notify($1, $2)', [this.barrierChannel, token])
      .catch(() => this.finishBarrier(token, false));
  }

  private finishBarrier(token: string | undefined, fresh: boolean): void {
    if (token === undefined || this.barrier?.token !== token) return;
    const { waiters } = this.barrier;
    this.barrier = undefined;
    for (const waiter of waiters) waiter(fresh);
    if (this.nextWaiters.length > 0 && this.listening) this.sendBarrier();
  }

  /**
   * Counts the other gateway processes listening to this database. A process that starts
   * announces itself (its first `propagate`) and waits for every other to have handled that
   * before it serves, so a process never skips a barrier it needs.
   */
  private async countPeers(): Promise<void> {
    const client = this.client;
    if (!client || !this.listening) return;
    const announcedBefore = this.peers.announced;
    try {
      const counted = await client.query<{ count: string }>(
        `select count(*) from pg_stat_activity
         where datname = current_database() and application_name like $1 and pid <> pg_backend_pid()`,
        [`${applicationNamePrefix}%`],
      );
      // A process that announced itself during the count is kept until the next count.
      this.peers = {
        count: Number(counted.rows[0]!.count),
        announced: this.peers.announced - announcedBefore,
      };
    } catch {
      // The next count tries again; meanwhile the old count stands.
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
