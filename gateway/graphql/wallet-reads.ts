import type { App } from '../app';
import type { MemberBalance, Page } from '../ledger/queries';
import type { WalletTransferView } from '../ledger/wallet-read';

interface Wanted {
  balances?: Deferred<MemberBalance[]>;
  /** First history pages by page size. */
  pages: Map<number, Deferred<Page<WalletTransferView>>>;
}

/**
 * Per request: a wallet's balances (the default horizon) and its newest history page, asked
 * by their two field resolvers in the same tick, are read in one statement
 * (Ledger.walletFirstPage) instead of two. Anything else asked for (only one of them, or two
 * page sizes) is read as before. Like a DataLoader it waits until the resolvers of the tick have
 * asked, and it lives and dies with the request's context.
 */
export class WalletReads {
  private wanted = new Map<string, Wanted>();
  private scheduled = false;

  constructor(
    private readonly app: App,
    private readonly expiringBefore: Date,
    /**
     * Hands the balances being read to the request's balances loader, so another field of the
     * same request (a reward's affordability, through the supergraph) does not read them again.
     */
    private readonly share: (memberId: string, balances: Promise<MemberBalance[]>) => void,
  ) {}

  balances(memberId: string): Promise<MemberBalance[]> {
    const wanted = this.wantedFor(memberId);
    if (!wanted.balances) {
      wanted.balances = deferred();
      this.share(memberId, wanted.balances.promise);
    }
    return wanted.balances.promise;
  }

  firstPage(memberId: string, first: number): Promise<Page<WalletTransferView>> {
    const pages = this.wantedFor(memberId).pages;
    let page = pages.get(first);
    if (!page) {
      page = deferred();
      pages.set(first, page);
    }
    return page.promise;
  }

  private wantedFor(memberId: string): Wanted {
    let wanted = this.wanted.get(memberId);
    if (!wanted) {
      wanted = { pages: new Map() };
      this.wanted.set(memberId, wanted);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      // After the promise jobs of this tick, as DataLoader dispatches: sibling fields have asked.
      void Promise.resolve().then(() => process.nextTick(() => this.dispatch()));
    }
    return wanted;
  }

  private dispatch(): void {
    const batch = this.wanted;
    this.wanted = new Map();
    this.scheduled = false;
    for (const [memberId, wanted] of batch) void this.read(memberId, wanted);
  }

  private async read(memberId: string, wanted: Wanted): Promise<void> {
    const { balances, pages } = wanted;
    const [only] = pages;
    if (balances && pages.size === 1 && only) {
      const [first, page] = only;
      try {
        const read = await this.app.ledger.walletFirstPage(memberId, this.expiringBefore, first);
        balances.resolve(read.balances);
        page.resolve(read.page);
      } catch (error) {
        balances.reject(error);
        page.reject(error);
      }
      return;
    }
    if (balances) settle(balances, this.app.ledger.balances([memberId], this.expiringBefore));
    for (const [first, page] of pages) {
      settle(page, this.app.ledger.transfers({ memberId }, first, null));
    }
  }
}

function settle<T>(wanted: Deferred<T>, work: Promise<T>): void {
  work.then(wanted.resolve, wanted.reject);
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((resolved, rejected) => {
    resolve = resolved;
    reject = rejected;
  });
  return { promise, resolve, reject };
}
