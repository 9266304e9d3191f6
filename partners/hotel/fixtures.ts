/** Nordic Hotels' own data: reward nights it sells for HTL points, and members' stays. */
export const hotelRewards = [
  { id: 'nh_osl_1n', hotel: 'Nordic Oslo Central', city: 'Oslo', nights: 1, points: 2_500n },
  { id: 'nh_brg_2n', hotel: 'Nordic Bergen Harbour', city: 'Bergen', nights: 2, points: 6_000n },
  {
    id: 'nh_sto_3n',
    hotel: 'Nordic Stockholm Old Town',
    city: 'Stockholm',
    nights: 3,
    points: 12_000n,
  },
] as const;

export const roomsAvailable: Record<string, number> = { nh_osl_1n: 5, nh_brg_2n: 2, nh_sto_3n: 1 };

export const stays: Record<
  string,
  { hotel: string; checkIn: string; nights: number; pointsEarned: bigint }[]
> = {
  mbr_alice: [
    { hotel: 'Nordic Bergen Harbour', checkIn: '2026-09-14', nights: 3, pointsEarned: 3_000n },
  ],
  mbr_bob: [
    { hotel: 'Nordic Oslo Central', checkIn: '2026-11-20', nights: 4, pointsEarned: 4_800n },
  ],
};
