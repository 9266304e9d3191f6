import { isPublic, maxAgeSeconds } from '../../gateway/federation/partner-data-source';
import { cacheLookups } from '../../gateway/observability/metrics';
import { createTestFederation, type TestFederation } from '../helpers/test-federation';

/**
 * A member's read that reaches a partner's service is answered again from memory for as long as
 * the partner's `cache-control: max-age` allows (10 s for the demo catalogues), and dropped at
 * once when the member's points move or the graph changes. A partner's answer marked `public`
 * (the demo catalogues: the same whoever asks) also answers every other caller's identical
 * subgraph request until its max-age. To see where an answer came from, the tests change the
 * partner's stock behind the gateway's back: a reused answer still shows the old count.
 */
let t: TestFederation;
let alice: string;
let bob: string;
beforeAll(async () => {
  // Long enough that a normal answer never times out on a busy machine.
  t = await createTestFederation({ subgraphTimeoutMs: 5_000 });
  alice = await t.token('member', 'mbr_alice');
  bob = await t.token('member', 'mbr_bob');
});
afterAll(() => t.close());

const walletAndRooms = `{
  wallet { balances { currency available } }
  nordicHotelRewards { id roomsLeft price { currency points affordability { affordable } } }
}`;

async function read(query = walletAndRooms, token = alice) {
  const { status, body } = await t.graphql(token, query);
  expect(status).toBe(200);
  return body;
}

async function roomsLeftInOslo(query = walletAndRooms, token = alice): Promise<number> {
  const body = await read(query, token);
  expect(body.errors).toBeUndefined();
  return body.data.nordicHotelRewards.find((reward: { id: string }) => reward.id === 'nh_osl_1n')
    .roomsLeft;
}

function setOsloRooms(rooms: number): void {
  t.partners.ptr_nordic!.inventory.setStock('nh_osl_1n', rooms);
}

function htl(body: Awaited<ReturnType<typeof read>>): string | undefined {
  const balances: { currency: string; available: string }[] = body.data.wallet.balances;
  return balances.find((balance) => balance.currency === 'HTL')?.available;
}

describe('partner answers reused within their max-age', () => {
  beforeEach(() => {
    // Each test starts past every earlier answer's max-age.
    t.app.clock.advance(60_000);
  });

  it('answers the same read from memory until the partner’s max-age has passed', async () => {
    setOsloRooms(5);
    expect(await roomsLeftInOslo()).toBe(5);
    setOsloRooms(4);
    expect(await roomsLeftInOslo()).toBe(5);
    t.app.clock.advance(9_000);
    expect(await roomsLeftInOslo()).toBe(5);
    t.app.clock.advance(1_500);
    expect(await roomsLeftInOslo()).toBe(4);
  });

  it('drops the answer as soon as the member’s points move', async () => {
    setOsloRooms(3);
    const before = await read();
    setOsloRooms(2);
    const nordic = await t.token('partner', 'ptr_nordic');
    const earn = await t.graphql(
      nordic,
      `mutation { awardPoints(input: {member: {memberId: "mbr_alice"}, transactionId: "REUSE-1",
         currency: "HTL", points: "7"}) { __typename } }`,
    );
    expect(earn.body.data.awardPoints.__typename).toBe('AwardPointsSuccess');
    const after = await read();
    expect(BigInt(htl(after)!) - BigInt(htl(before)!)).toBe(7n);
    // The member's part is read again; Nordic's catalogue is public, so its answer of a moment
    // ago still serves (rooms left may lag up to its max-age, as documented).
    expect(await roomsLeftInOslo()).toBe(3);
    t.app.clock.advance(10_500);
    expect(await roomsLeftInOslo()).toBe(2);
  });

  it('never reuses an answer with a partner’s error', async () => {
    setOsloRooms(6);
    t.proxies.ptr_nordic!.mode = 'down';
    try {
      const failed = await read();
      expect(failed.errors?.[0]?.extensions?.code).toBeDefined();
    } finally {
      t.proxies.ptr_nordic!.mode = 'pass';
    }
    expect(await roomsLeftInOslo()).toBe(6);
  });

  it('drops partners’ answers when the graph changes', async () => {
    setOsloRooms(8);
    expect(await roomsLeftInOslo()).toBe(8);
    setOsloRooms(7);
    const nordic = t.partners.ptr_nordic!;
    const outcome = await t.register(
      'ptr_nordic',
      t.proxies.ptr_nordic!.url,
      JSON.stringify(nordic.publicJwks),
    );
    expect(outcome.__typename).toBe('PartnerService');
    expect(await roomsLeftInOslo()).toBe(7);
  });
});

describe('public partner answers, shared by every caller', () => {
  beforeEach(() => {
    t.app.clock.advance(60_000);
    t.proxies.ptr_nordic!.privateAnswers = false;
  });
  afterAll(() => {
    t.proxies.ptr_nordic!.privateAnswers = false;
  });

  /** Each reward's affordability, checked against the reader's own HTL balance. */
  function expectOwnAffordability(body: Awaited<ReturnType<typeof read>>): void {
    const available = BigInt(htl(body) ?? '0');
    for (const reward of body.data.nordicHotelRewards as {
      price: { currency: string; points: string; affordability: { affordable: boolean } };
    }[]) {
      expect(reward.price.currency).toBe('HTL');
      expect(reward.price.affordability.affordable).toBe(available >= BigInt(reward.price.points));
    }
  }

  it('calls the partner once for two members’ reads within its max-age', async () => {
    setOsloRooms(5);
    const calls = t.proxies.ptr_nordic!.requests;
    const alices = await read(walletAndRooms, alice);
    expect(t.proxies.ptr_nordic!.requests).toBe(calls + 1);
    setOsloRooms(4);
    const bobs = await read(walletAndRooms, bob);
    // Bob's read was answered with the catalogue Alice's read fetched: no call, the old count.
    expect(t.proxies.ptr_nordic!.requests).toBe(calls + 1);
    expect(await roomsLeftInOslo(walletAndRooms, bob)).toBe(5);
    // Each member's own part is their own: balances and affordability are not shared.
    expect(htl(bobs)).not.toBe(htl(alices));
    expectOwnAffordability(alices);
    expectOwnAffordability(bobs);
    t.app.clock.advance(10_500);
    expect(await roomsLeftInOslo(walletAndRooms, bob)).toBe(4);
    expect(t.proxies.ptr_nordic!.requests).toBe(calls + 2);
  });

  it('calls the partner once when a shared answer has expired and members ask at once', async () => {
    setOsloRooms(7);
    expect(await roomsLeftInOslo(walletAndRooms, alice)).toBe(7);
    t.app.clock.advance(10_500);
    setOsloRooms(6);
    const calls = t.proxies.ptr_nordic!.requests;
    const joinsBefore = await partnerAnswerJoins();
    const release = t.proxies.ptr_nordic!.hold();
    let reads: Promise<number>[] = [];
    try {
      reads = [roomsLeftInOslo(walletAndRooms, alice), roomsLeftInOslo(walletAndRooms, bob)];
      await oneCallAndOneJoin(calls, joinsBefore);
    } finally {
      release();
    }
    expect(await Promise.all(reads)).toEqual([6, 6]);
    expect(t.proxies.ptr_nordic!.requests).toBe(calls + 1);
  });

  it('gives those waiting for a call that fails the same error, without calling again', async () => {
    setOsloRooms(7);
    expect(await roomsLeftInOslo(walletAndRooms, alice)).toBe(7);
    t.app.clock.advance(10_500);
    const calls = t.proxies.ptr_nordic!.requests;
    const release = t.proxies.ptr_nordic!.hold();
    let reads: Promise<Awaited<ReturnType<typeof read>>>[] = [];
    try {
      reads = [read(walletAndRooms, alice), read(walletAndRooms, bob)];
      await oneCallAndOneJoin(calls, await partnerAnswerJoins());
    } finally {
      release('fail');
    }
    for (const body of await Promise.all(reads)) {
      expect(body.errors?.[0]?.extensions?.code).toBe('SUBGRAPH_UNAVAILABLE');
      expect(body.data.nordicHotelRewards).toBeNull();
    }
    expect(t.proxies.ptr_nordic!.requests).toBe(calls + 1);
    // Nothing was kept: the next read calls the partner again and gets the catalogue.
    expect(await roomsLeftInOslo(walletAndRooms, bob)).toBe(7);
  });

  it('asks a partner whose answers are private again for each member', async () => {
    t.proxies.ptr_nordic!.privateAnswers = true;
    setOsloRooms(9);
    const calls = t.proxies.ptr_nordic!.requests;
    expect(await roomsLeftInOslo(walletAndRooms, alice)).toBe(9);
    setOsloRooms(8);
    expect(await roomsLeftInOslo(walletAndRooms, bob)).toBe(8);
    expect(t.proxies.ptr_nordic!.requests).toBe(calls + 2);
    // Alice's own answer is still reused for her (private reuse).
    expect(await roomsLeftInOslo(walletAndRooms, alice)).toBe(9);
  });

  it('never shares an answer with a partner’s error', async () => {
    setOsloRooms(6);
    t.proxies.ptr_nordic!.mode = 'down';
    try {
      const failed = await read(walletAndRooms, alice);
      expect(failed.errors?.[0]?.extensions?.code).toBeDefined();
    } finally {
      t.proxies.ptr_nordic!.mode = 'pass';
    }
    expect(await roomsLeftInOslo(walletAndRooms, bob)).toBe(6);
  });
});

/**
 * Returns once one read's call is held at Nordic's proxy and another read waits for it, or
 * (the fault this guards against) two calls reached the partner: either way, with no timing.
 */
async function oneCallAndOneJoin(callsBefore: number, joinsBefore: number): Promise<void> {
  for (;;) {
    const sent = t.proxies.ptr_nordic!.requests - callsBefore;
    if (sent >= 2 || (sent === 1 && (await partnerAnswerJoins()) > joinsBefore)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Partner answer lookups that waited for the same fetch in flight, so far. */
async function partnerAnswerJoins(): Promise<number> {
  const { values } = await cacheLookups.get();
  return (
    values.find(
      (value) => value.labels.cache === 'partner_answers' && value.labels.result === 'joined',
    )?.value ?? 0
  );
}

describe('reading a partner’s cache-control', () => {
  it.each([
    ['public, max-age=10', true],
    ['max-age=10, public', true],
    ['private, max-age=10', false],
    ['publicity, max-age=10', false],
    [null, false],
  ])('%s is public: %s', (header, expected) => {
    expect(isPublic(header)).toBe(expected);
  });

  it.each([
    ['private, max-age=10', 10],
    ['public, max-age=10', 10],
    ['max-age=3', 3],
    ['no-store', 0],
    ['private, max-age=10, no-cache', 0],
    ['s-maxage=5', 0],
    ['max-age=soon', 0],
    [null, 0],
  ])('%s allows %d s', (header, seconds) => {
    expect(maxAgeSeconds(header)).toBe(seconds);
  });
});
