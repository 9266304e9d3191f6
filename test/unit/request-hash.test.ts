import fc from 'fast-check';
import { canonicalJson, requestHash } from '../../gateway/ledger/idempotency';

/** The form as first written (2026-11): stored request hashes were taken of exactly this. */
function canonicalJsonAsFirstWritten(value: unknown): string {
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJsonAsFirstWritten).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJsonAsFirstWritten(field)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const requestLike = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.bigInt(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.date({ noInvalidDate: true }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string(), tie('value'), { maxKeys: 5 }),
  ),
}));

describe('request hashes', () => {
  it('are taken of the same text as when they were first stored', () => {
    fc.assert(
      fc.property(requestLike.value, (value) => {
        expect(canonicalJson(value)).toBe(canonicalJsonAsFirstWritten(value));
      }),
      { numRuns: 2_000 },
    );
  });

  it('do not depend on the order of fields or on undefined ones', () => {
    const a = {
      partnerId: 'ptr_a',
      amount: 12_345n,
      lines: [{ sku: 'x', quantity: 2 }],
      note: undefined,
    };
    const b = { lines: [{ quantity: 2, sku: 'x' }], amount: 12_345n, partnerId: 'ptr_a' };
    expect(requestHash(a)).toBe(requestHash(b));
  });

  it('keep their value for a known request (a changed form would orphan every stored key)', () => {
    const request = {
      partnerId: 'ptr_freshmart',
      memberId: 'mbr_alice',
      transactionId: 'pos-1',
      amountMinor: 12_345n,
      occurredAt: new Date('2026-12-04T12:00:00.000Z'),
      lines: [{ sku: 'toy-1', category: 'toys', quantity: 2, amountMinor: 2_000n }],
    };
    expect(canonicalJson(request)).toBe(
      '{"amountMinor":"12345","lines":[{"amountMinor":"2000","category":"toys","quantity":2,"sku":"toy-1"}],"memberId":"mbr_alice","occurredAt":"2026-12-04T12:00:00.000Z","partnerId":"ptr_freshmart","transactionId":"pos-1"}',
    );
    expect(requestHash(request)).toBe('aZA6l_emkmgT3b0FLGexDbK2c3sCHq41J4-jVDPeptk');
  });
});
