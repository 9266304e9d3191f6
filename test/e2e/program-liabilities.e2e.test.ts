import { demoMembers } from '../../gateway/demo/seed';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/** programLiabilities: what each program owes its members, for the finance console. */
let t: TestGateway;
beforeAll(async () => {
  t = await createTestGateway();
});
afterAll(() => t.close());

const query = `{ programLiabilities {
  currency ownerPartnerId availablePoints pendingPoints heldPoints outstandingPoints memberCount
  valueMicros value { amount currency } } }`;

it('sums every member’s points per program, valued at the reference value, rounded down', async () => {
  const { body } = await t.graphql(await t.token('finance', 'fin_ops'), query);
  expect(body.errors).toBeUndefined();
  // The same totals from the members' own wallets.
  const held = new Map<string, bigint>();
  for (const member of demoMembers) {
    const wallet = await t.graphql(
      await t.token('member', member.id),
      '{ wallet { balances { currency available pending held } } }',
    );
    for (const balance of wallet.body.data.wallet.balances) {
      const points = BigInt(balance.available) + BigInt(balance.pending) + BigInt(balance.held);
      held.set(balance.currency, (held.get(balance.currency) ?? 0n) + points);
    }
  }
  expect(body.data.programLiabilities).toEqual([
    {
      currency: 'HTL',
      ownerPartnerId: 'ptr_nordic',
      availablePoints: '3174',
      pendingPoints: '4800',
      heldPoints: '0',
      outstandingPoints: held.get('HTL')!.toString(),
      memberCount: '2',
      valueMicros: '2000',
      // 7,974 x 0.002 EUR = 15.948 EUR, rounded down.
      value: { amount: '15.94', currency: 'EUR' },
    },
    {
      currency: 'SKY',
      ownerPartnerId: 'ptr_skyair',
      availablePoints: held.get('SKY')!.toString(),
      pendingPoints: '0',
      heldPoints: '0',
      outstandingPoints: held.get('SKY')!.toString(),
      memberCount: '2',
      valueMicros: '10000',
      value: expect.objectContaining({ currency: 'EUR' }),
    },
  ]);
  expect(held.get('HTL')).toBe(7974n);
});

it('shows a partner’s finance users only the programs their partner owns, and members nothing', async () => {
  const skyair = await t.graphql(await t.token('finance', 'fin_sky', 'ptr_skyair'), query);
  expect(
    skyair.body.data.programLiabilities.map((row: { currency: string }) => row.currency),
  ).toEqual(['SKY']);
  const fuelco = await t.graphql(await t.token('finance', 'fin_fuel', 'ptr_fuelco'), query);
  expect(fuelco.body.data.programLiabilities).toEqual([]);
  const member = await t.graphql(await t.token('member', 'mbr_alice'), query);
  expect(member.body.errors![0]!.extensions!.code).toBe('FORBIDDEN');
});
