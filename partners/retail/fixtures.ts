/** FreshMart's own data: vouchers it sells for HTL points, and members' receipts. */
export const groceryRewards = [
  { id: 'fm_coffee', title: 'A bag of house coffee', points: 400n },
  { id: 'fm_voucher_10', title: '10 EUR grocery voucher', points: 1_000n },
  { id: 'fm_hamper', title: 'Christmas hamper', points: 9_000n },
] as const;

export const vouchersAvailable: Record<string, number> = {
  fm_coffee: 50,
  fm_voucher_10: 20,
  fm_hamper: 3,
};

export const receipts: Record<
  string,
  { receiptId: string; boughtOn: string; pointsEarned: bigint }[]
> = {
  mbr_bob: [{ receiptId: 'FM-RCPT-9001', boughtOn: '2026-11-21', pointsEarned: 174n }],
};
