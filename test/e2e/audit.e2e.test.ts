import { recordAudit } from '../../gateway/audit/audit-log';
import { createTestFederation, type TestFederation } from '../helpers/test-federation';

/**
 * The audit log (issue 17.7): every kind of configuration change through the API leaves one
 * entry with its actor, before and after, in the same transaction; a refused change leaves
 * none; the log is append-only; who reads what.
 */
let t: TestFederation;
let operator: string;
let financeOperator: string;
beforeAll(async () => {
  t = await createTestFederation();
  operator = await t.token('operator', 'admin');
  financeOperator = await t.issuer.issue({ kind: 'finance', subject: 'fin-op' });
});
afterAll(() => t.close());

const auditQuery = `query Audit($entityType: String, $entityId: String, $actorId: String, $from: DateTimeISO, $to: DateTimeISO, $first: Int!, $after: String) {
  auditLog(entityType: $entityType, entityId: $entityId, actorId: $actorId, from: $from, to: $to, first: $first, after: $after) {
    entries { id occurredAt actor { kind id partnerId } entityType entityId action partnerIds before after requestId }
    pageInfo { endCursor hasNextPage }
  }
}`;

interface Entry {
  id: string;
  actor: { kind: string; id: string; partnerId: string | null };
  entityType: string;
  entityId: string;
  action: string;
  partnerIds: string[];
  before: string | null;
  after: string | null;
  requestId: string | null;
}

async function audit(token: string, filter: Record<string, unknown> = {}) {
  const { body } = await t.graphql(token, auditQuery, { first: 20, ...filter });
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data.auditLog as { entries: Entry[]; pageInfo: { endCursor: string | null } };
}

async function entriesOf(entityType: string, entityId?: string): Promise<Entry[]> {
  return (await audit(operator, { entityType, entityId, actorId: 'admin' })).entries;
}

async function mutate(token: string, field: string, inputType: string, input: unknown) {
  const { body } = await t.graphql(
    token,
    `mutation M($input: ${inputType}!) { ${field}(input: $input) { __typename ... on ErrorResult { code message } } }`,
    { input },
  );
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data[field] as { __typename: string; code?: string; message?: string };
}

const json = (text: string | null) => (text === null ? null : JSON.parse(text));

describe('each kind of configuration change writes one entry', () => {
  it('partners, currencies and a partner’s terms (created, then changed)', async () => {
    expect(
      (
        await mutate(operator, 'createPartner', 'CreatePartnerInput', {
          id: 'ptr_audit',
          name: 'Audit Air',
        })
      ).__typename,
    ).toBe('Partner');
    expect(
      (
        await mutate(operator, 'createCurrency', 'CreateCurrencyInput', {
          code: 'AUD1',
          name: 'Audit miles',
          ownerPartnerId: 'ptr_audit',
          expiryMonths: 24,
        })
      ).__typename,
    ).toBe('Currency');
    const terms = {
      partnerId: 'ptr_fuelco',
      currency: 'AUD1',
      earns: true,
      accepts: false,
      earnRatePoints: '2',
      earnRatePerMinor: '100',
      moneyCurrency: 'EUR',
    };
    await mutate(operator, 'setPartnerCurrency', 'SetPartnerCurrencyInput', terms);
    await mutate(operator, 'setPartnerCurrency', 'SetPartnerCurrencyInput', {
      ...terms,
      accepts: true,
    });

    const [partner] = await entriesOf('partner', 'ptr_audit');
    expect(partner).toMatchObject({
      actor: { kind: 'operator', id: 'admin', partnerId: null },
      action: 'create',
      partnerIds: ['ptr_audit'],
      before: null,
    });
    expect(json(partner!.after)).toEqual({ id: 'ptr_audit', name: 'Audit Air' });
    expect(partner!.requestId).toEqual(expect.any(String));

    const currencies = await entriesOf('currency', 'AUD1');
    expect(currencies).toHaveLength(1);
    expect(json(currencies[0]!.after)).toEqual({
      code: 'AUD1',
      name: 'Audit miles',
      ownerPartnerId: 'ptr_audit',
      expiryMonths: 24,
    });

    const changes = await entriesOf('partner_currency', 'ptr_fuelco:AUD1');
    expect(changes.map((entry) => entry.action)).toEqual(['update', 'create']);
    const created = {
      partnerId: 'ptr_fuelco',
      currencyCode: 'AUD1',
      earns: true,
      accepts: false,
      earnRatePoints: '2',
      earnRatePerMinor: '100',
      moneyCurrency: 'EUR',
    };
    expect(json(changes[1]!.before)).toBeNull();
    expect(json(changes[1]!.after)).toEqual(created);
    expect(json(changes[0]!.before)).toEqual(created);
    expect(json(changes[0]!.after)).toEqual({ ...created, accepts: true });
  });

  it('exchange: a rate version, a promotion, a liquidity floor, a reference value', async () => {
    t.app.clock.advance(60_000); // a new version starts after the demo's
    const rate = await mutate(operator, 'setExchangeRate', 'SetExchangeRateInput', {
      sourceCurrency: 'HTL',
      targetCurrency: 'SKY',
      sourceUnits: '6',
      targetUnits: '1',
      incrementPoints: '1000',
    });
    expect(rate).toEqual({ __typename: 'ExchangeRate' });
    const [rateEntry] = await entriesOf('exchange_rate', 'HTL:SKY');
    expect(rateEntry).toMatchObject({
      action: 'add_version',
      partnerIds: ['ptr_nordic', 'ptr_skyair'],
    });
    expect(json(rateEntry!.before)).toMatchObject({ sourceUnits: '5', targetUnits: '1' });
    expect(json(rateEntry!.after)).toMatchObject({
      sourceCurrency: 'HTL',
      targetCurrency: 'SKY',
      sourceUnits: '6',
      targetUnits: '1',
      setBy: 'admin',
    });

    await mutate(operator, 'addExchangePromotion', 'AddExchangePromotionInput', {
      sourceCurrency: 'HTL',
      targetCurrency: 'SKY',
      bonusPerMille: '50',
      endsAt: '2026-12-24T00:00:00Z',
    });
    const [promotion] = await entriesOf('exchange_promotion');
    expect(promotion).toMatchObject({ action: 'create', before: null });
    expect(json(promotion!.after)).toMatchObject({ bonusPerMille: '50' });

    await mutate(operator, 'setLiquidityFloor', 'SetLiquidityFloorInput', {
      currency: 'SKY',
      floorPoints: '-1000000',
    });
    const [floor] = await entriesOf('liquidity_floor', 'SKY');
    expect(json(floor!.before)).toEqual({ floorPoints: '-10000000' });
    expect(json(floor!.after)).toEqual({ floorPoints: '-1000000' });
    expect(floor!.partnerIds).toEqual(['ptr_skyair']);

    await mutate(operator, 'setReferenceValue', 'SetReferenceValueInput', {
      currency: 'SKY',
      valueMicros: '11000',
    });
    const [value] = await entriesOf('reference_value', 'SKY');
    expect(json(value!.before)).toMatchObject({ currency: 'SKY', valueMicros: '10000' });
    expect(json(value!.after)).toMatchObject({ currency: 'SKY', valueMicros: '11000' });
  });

  it('settlement: an agreement and a period, by the operator’s finance user', async () => {
    const agreement = await mutate(
      financeOperator,
      'setSettlementAgreement',
      'SetSettlementAgreementInput',
      {
        partnerId: 'ptr_fuelco',
        currency: 'SKY',
        settlementCurrency: 'EUR',
        effectiveFrom: '2027-01-01T00:00:00Z',
        issuancePrice: '0.013',
        reimbursementPrice: '0.008',
        exchangePrice: '0.01',
      },
    );
    expect(agreement.__typename).toBe('SettlementAgreement');
    const [entry] = (
      await audit(operator, { entityType: 'settlement_agreement', actorId: 'fin-op' })
    ).entries;
    expect(entry).toMatchObject({
      actor: { kind: 'finance', id: 'fin-op', partnerId: null },
      action: 'create',
      partnerIds: ['ptr_fuelco'],
      before: null,
    });
    expect(json(entry!.after)).toMatchObject({
      partnerId: 'ptr_fuelco',
      currency: 'SKY',
      issuancePrice: '0.013',
      effectiveFrom: '2027-01-01T00:00:00.000Z',
    });

    const periods = await t.graphql(financeOperator, '{ settlementPeriods { endsAt } }');
    const lastEnd = new Date(periods.body.data.settlementPeriods.at(-1)?.endsAt ?? '2026-11-01');
    const endsAt = new Date(lastEnd.getTime() + 30 * 86_400_000).toISOString();
    const opened = await mutate(
      financeOperator,
      'openSettlementPeriod',
      'OpenSettlementPeriodInput',
      {
        startsAt: lastEnd.toISOString(),
        endsAt,
      },
    );
    expect(opened.__typename).toBe('SettlementPeriod');
    const [period] = (await audit(operator, { entityType: 'settlement_period', actorId: 'fin-op' }))
      .entries;
    expect(period).toMatchObject({ action: 'open', before: null, partnerIds: [] });
    expect(json(period!.after)).toMatchObject({ status: 'open', endsAt });
  });

  it('partner services and their keys: registered at start, replaced on re-registration', async () => {
    const registrations = await entriesOf('partner_service', 'ptr_nordic');
    expect(registrations).toHaveLength(1);
    expect(registrations[0]).toMatchObject({ action: 'register', before: null });
    const first = json(registrations[0]!.after);
    expect(first).toMatchObject({ url: t.proxies.ptr_nordic!.url, sdlSha256: expect.any(String) });
    expect(first.jwks.keys).toHaveLength(1);
    expect(first.jwks.keys[0].d).toBeUndefined();

    expect((await t.register('ptr_nordic', t.proxies.ptr_nordic!.url)).__typename).toBe(
      'PartnerService',
    );
    const [again] = await entriesOf('partner_service', 'ptr_nordic');
    expect(again).toMatchObject({ action: 'replace' });
    expect(json(again!.before)).toEqual(first);
  });
});

describe('a refused change writes nothing', () => {
  it('a typed error leaves no entry', async () => {
    const before = (await audit(operator)).entries[0]!.id;
    expect(
      (
        await mutate(operator, 'setExchangeRate', 'SetExchangeRateInput', {
          sourceCurrency: 'SKY',
          targetCurrency: 'HTL',
          sourceUnits: '1',
          targetUnits: '9',
          incrementPoints: '100',
        })
      ).code,
    ).toBe('ARBITRAGE_CYCLE');
    expect(
      (
        await mutate(operator, 'setLiquidityFloor', 'SetLiquidityFloorInput', {
          currency: 'HTL',
          floorPoints: '1',
        })
      ).code,
    ).toBe('INVALID_INPUT');
    expect(
      (
        await mutate(operator, 'createPartner', 'CreatePartnerInput', {
          id: 'ptr_audit',
          name: 'x',
        })
      ).code,
    ).toBe('ALREADY_EXISTS');
    expect(
      (
        await mutate(financeOperator, 'setSettlementAgreement', 'SetSettlementAgreementInput', {
          partnerId: 'ptr_skyair',
          currency: 'SKY',
          settlementCurrency: 'EUR',
          effectiveFrom: '2027-01-01T00:00:00Z',
          issuancePrice: '0.01',
          reimbursementPrice: '0.01',
          exchangePrice: '0.01',
        })
      ).code,
    ).toBe('INVALID_INPUT');
    expect((await audit(operator)).entries[0]!.id).toBe(before);
  });
});

describe('reading the log', () => {
  it('pages newest first by cursor, and filters by time', async () => {
    const all = (await audit(operator, { actorId: 'admin', first: 100 })).entries;
    const ids = all.map((entry) => BigInt(entry.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)));
    const first = await audit(operator, { actorId: 'admin', first: 2 });
    const second = await audit(operator, {
      actorId: 'admin',
      first: 2,
      after: first.pageInfo.endCursor,
    });
    expect([...first.entries, ...second.entries].map((entry) => entry.id)).toEqual(
      all.slice(0, 4).map((entry) => entry.id),
    );
    const future = await audit(operator, { from: '2030-01-01T00:00:00Z' });
    expect(future.entries).toEqual([]);
    const { body } = await t.graphql(operator, auditQuery, { first: 5, after: 'not-a-cursor' });
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('a partner and its finance users see only entries about their own configuration', async () => {
    const fuelco = await t.token('partner', 'ptr_fuelco');
    const fuelcoFinance = await t.issuer.issue({
      kind: 'finance',
      subject: 'fin-fuelco',
      partnerId: 'ptr_fuelco',
    });
    for (const token of [fuelco, fuelcoFinance]) {
      const entries = (await audit(token, { first: 100 })).entries;
      expect(entries.length).toBeGreaterThan(0);
      expect(entries.every((entry) => entry.partnerIds.includes('ptr_fuelco'))).toBe(true);
      expect(entries.some((entry) => entry.entityType === 'settlement_agreement')).toBe(true);
      expect(entries.some((entry) => entry.entityType === 'exchange_rate')).toBe(false);
    }
    const operatorFinance = (await audit(financeOperator, { first: 100 })).entries;
    expect(operatorFinance.some((entry) => entry.entityType === 'exchange_rate')).toBe(true);
  });

  it('members and anonymous callers cannot read it', async () => {
    const member = await t.token('member', 'mbr_alice');
    const { body } = await t.graphql(member, auditQuery, { first: 5 });
    expect(body.errors![0]!.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await t.graphql(undefined, auditQuery, { first: 5 });
    expect(anonymous.body.errors![0]!.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('the log is append-only', () => {
  it('the database refuses UPDATE and DELETE', async () => {
    await t.app.db.transaction((sql) =>
      recordAudit(sql, t.app.systemContext(), {
        entity: 'test_entity',
        entityId: 'x',
        action: 'create',
        before: null,
        after: { value: 1n },
      }),
    );
    await expect(t.app.db.query("update audit_entry set action = 'forged'")).rejects.toThrow(
      /append-only/,
    );
    await expect(t.app.db.query('delete from audit_entry')).rejects.toThrow(/append-only/);
    const [entry] = (await audit(operator, { entityType: 'test_entity' })).entries;
    expect(entry).toMatchObject({ actor: { kind: 'system', id: 'system' }, action: 'create' });
    expect(json(entry!.after)).toEqual({ value: '1' });
  });
});
