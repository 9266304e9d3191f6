import { type MoneyInput, Money as MoneyObject } from '../../schema/common';
import { Member } from '../../schema/members';
import { Currency, Partner, PartnerCurrencyTerms } from '../../schema/programs';
import {
  AccountSummary,
  Posting,
  type PostingKind,
  Transfer,
  type TransferCode,
} from '../../schema/transfers';
import { Balance, BalanceChange, WalletEntry } from '../../schema/wallet';
import type { Money } from '../ledger/model';
import {
  type AccountOwner,
  changesFor,
  type MemberBalance,
  type TransferView,
} from '../ledger/queries';
import type { WalletTransferView } from '../ledger/wallet-read';
import type { MemberRecord } from '../members/member.entity';
import type { CurrencyRecord } from '../programs/currency.entity';
import type { PartnerRecord } from '../programs/partner.entity';
import type { PartnerCurrencyRecord } from '../programs/partner-currency.entity';
import { InvalidInput } from '../shared/errors';
import { formatMoneyAmount, isKnownMoneyCurrency, parseMoneyAmount } from '../shared/money';

/** Domain values to schema objects, and schema inputs to domain values. No logic beyond that. */

export function moneyFromInput(input: MoneyInput, field: string): Money {
  if (!isKnownMoneyCurrency(input.currency)) {
    throw new InvalidInput(`${field}.currency`, 'must be a supported ISO 4217 currency code');
  }
  const amountMinor = parseMoneyAmount(input.amount, input.currency);
  if (amountMinor === undefined) {
    throw new InvalidInput(
      `${field}.amount`,
      `must be a decimal amount with at most the decimals of ${input.currency}, e.g. "50.00"`,
    );
  }
  return { amountMinor, currency: input.currency };
}

export function moneyObject(
  amountMinor: bigint | null,
  currency: string | null,
): MoneyObject | null {
  if (amountMinor === null || currency === null) return null;
  return Object.assign(new MoneyObject(), {
    amountMinor,
    amount: formatMoneyAmount(amountMinor, currency),
    currency,
  });
}

export const memberObject = (record: MemberRecord): Member =>
  Object.assign(new Member(), { id: record.id, displayName: record.displayName });

export const partnerObject = (record: PartnerRecord): Partner =>
  Object.assign(new Partner(), { id: record.id, name: record.name });

export const currencyObject = (record: CurrencyRecord): Currency =>
  Object.assign(new Currency(), {
    code: record.code,
    name: record.name,
    ownerPartnerId: record.ownerPartnerId,
    expiryMonths: record.expiryMonths,
  });

export const termsObject = (record: PartnerCurrencyRecord): PartnerCurrencyTerms =>
  Object.assign(new PartnerCurrencyTerms(), {
    partnerId: record.partnerId,
    currency: record.currencyCode,
    earns: record.earns,
    accepts: record.accepts,
    earnRatePoints: record.earnRatePoints,
    earnRatePerMinor: record.earnRatePerMinor,
    moneyCurrency: record.moneyCurrency,
  });

export const balanceObject = (balance: MemberBalance): Balance =>
  Object.assign(new Balance(), {
    memberId: balance.memberId,
    currency: balance.currency,
    available: balance.availablePoints,
    pending: balance.pendingPoints,
    held: balance.heldPoints,
    expiringSoon: balance.expiringSoonPoints,
    expiringBefore: balance.expiringBefore,
    nextExpiryAt: balance.nextExpiryAt,
  });

export function walletEntryObject(transfer: WalletTransferView, memberId: string): WalletEntry {
  return Object.assign(new WalletEntry(), {
    id: transfer.id,
    code: transfer.code as TransferCode,
    description: transfer.description,
    partnerId: transfer.partnerId,
    reference: transfer.externalId,
    relatedTransferId: transfer.relatedId,
    purchase: moneyObject(transfer.purchaseMinor, transfer.purchaseCurrency),
    changes: changesFor(transfer, memberId).map((change) =>
      Object.assign(new BalanceChange(), {
        currency: change.currency,
        available: change.availablePoints,
        pending: change.pendingPoints,
        held: change.heldPoints,
      }),
    ),
    createdAt: transfer.createdAt,
    earn: transfer.code === 'earn',
  });
}

export function transferObject(transfer: TransferView): Transfer {
  return Object.assign(new Transfer(), {
    id: transfer.id,
    code: transfer.code as TransferCode,
    partnerId: transfer.partnerId,
    memberId: transfer.memberId,
    reference: transfer.externalId,
    relatedTransferId: transfer.relatedId,
    purchase: moneyObject(transfer.purchaseMinor, transfer.purchaseCurrency),
    description: transfer.description,
    createdAt: transfer.createdAt,
    postings: transfer.postings.map((posting) =>
      Object.assign(new Posting(), {
        kind: posting.kind as PostingKind,
        currency: posting.currency,
        amount: posting.amountPoints,
        source: accountSummary(posting.source),
        target: accountSummary(posting.target),
      }),
    ),
  });
}

export function accountSummary(owner: AccountOwner): AccountSummary {
  return Object.assign(new AccountSummary(), {
    id: accountGlobalId(owner.id),
    kind: owner.kind,
    memberId: owner.memberId,
    partnerId: owner.partnerId,
  });
}

export const accountGlobalId = (id: bigint): string => `acc_${id}`;

export function accountIdFromGlobal(id: string): bigint | undefined {
  const match = /^acc_(\d{1,18})$/.exec(id);
  return match ? BigInt(match[1]!) : undefined;
}
