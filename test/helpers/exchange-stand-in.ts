import { accountKeyString, lockAccounts } from '../../gateway/ledger/accounts';
import { applyLotMovements, createLots, planConsumption } from '../../gateway/ledger/lots';
import type { AccountKey } from '../../gateway/ledger/model';
import { availablePoints } from '../../gateway/ledger/model';
import { writeTransfers } from '../../gateway/ledger/transfers';
import { addMonths } from '../../gateway/purchases/purchase-service';
import { newId } from '../../gateway/shared/ids';
import type { TestApp } from './test-app';

/**
 * STAND-IN for the exchange service (issue 3), which is being built in parallel. It writes a
 * conversion exactly as that contract says, with the ledger primitives: ONE transfer,
 * code `convert`, member_id set, two posted postings: index 0 member(S) -> liquidity(S) (source
 * points), index 1 liquidity(T) -> member(T) (target points). No `conversion` row: settlement
 * derives what it bills from the postings and reads base/bonus points from `conversion` only
 * when that table exists. After merging, replace calls to this helper with the real exchange
 * service and delete this file.
 */
export async function convertWithStandIn(
  app: TestApp,
  input: {
    memberId: string;
    sourceCurrency: string;
    targetCurrency: string;
    sourcePoints: bigint;
    targetPoints: bigint;
    reference?: string;
  },
): Promise<string> {
  const transferId = newId('trf');
  const now = app.clock.now();
  const target = await app.catalog.currency(input.targetCurrency);
  const keys: AccountKey[] = [
    { kind: 'member', currency: input.sourceCurrency, memberId: input.memberId },
    { kind: 'member', currency: input.targetCurrency, memberId: input.memberId },
    { kind: 'liquidity', currency: input.sourceCurrency },
    { kind: 'liquidity', currency: input.targetCurrency },
  ];
  const ids = await app.db.transaction(async (sql) => {
    const resolved = await app.ledger.accounts.resolve(sql, keys);
    const [sourceMember, targetMember, sourceLiquidity, targetLiquidity] = keys.map(
      (key) => resolved.get(accountKeyString(key))!,
    );
    const locked = await lockAccounts(sql, [sourceMember!, targetMember!]);
    if (availablePoints(locked.get(sourceMember!)!) < input.sourcePoints) {
      throw new Error('stand-in conversion: not enough source points');
    }
    const consumption = await planConsumption(sql, sourceMember!, input.sourcePoints);
    await writeTransfers(sql, [
      {
        id: transferId,
        code: 'convert',
        partnerId: null,
        memberId: input.memberId,
        externalId: input.reference ?? null,
        relatedId: null,
        purchase: null,
        description: `Converted ${input.sourcePoints} ${input.sourceCurrency} to ${input.targetPoints} ${input.targetCurrency}`,
        createdAt: now,
        postings: [
          {
            kind: 'posted',
            sourceAccountId: sourceMember!,
            targetAccountId: sourceLiquidity!,
            currency: input.sourceCurrency,
            amountPoints: input.sourcePoints,
          },
          {
            kind: 'posted',
            sourceAccountId: targetLiquidity!,
            targetAccountId: targetMember!,
            currency: input.targetCurrency,
            amountPoints: input.targetPoints,
          },
        ],
      },
    ]);
    await applyLotMovements(sql, transferId, consumption);
    await createLots(sql, [
      {
        accountId: targetMember!,
        transferId,
        amountPoints: input.targetPoints,
        expiresAt: target?.expiryMonths ? addMonths(now, target.expiryMonths) : null,
        createdAt: now,
      },
    ]);
    return resolved;
  });
  app.ledger.accounts.remember(ids);
  return transferId;
}
