/** SkyAir's own data: award seats it sells for miles, and members' flights. Seeded in code. */
export const awardFlights = [
  {
    id: 'awd_osl_lhr_0312',
    flightNumber: 'SK 815',
    origin: 'OSL',
    destination: 'LHR',
    cabin: 'economy',
    departsOn: '2027-03-12',
    miles: 1_000n,
  },
  {
    id: 'awd_osl_jfk_0420',
    flightNumber: 'SK 909',
    origin: 'OSL',
    destination: 'JFK',
    cabin: 'economy',
    departsOn: '2027-04-20',
    miles: 25_000n,
  },
  {
    id: 'awd_cph_bkk_0605',
    flightNumber: 'SK 973',
    origin: 'CPH',
    destination: 'BKK',
    cabin: 'business',
    departsOn: '2027-06-05',
    miles: 60_000n,
  },
] as const;

export const awardSeats: Record<string, number> = {
  awd_osl_lhr_0312: 4,
  awd_osl_jfk_0420: 2,
  awd_cph_bkk_0605: 1,
};

export const flightActivity: Record<
  string,
  { flightNumber: string; route: string; flownOn: string; milesEarned: bigint }[]
> = {
  mbr_alice: [
    { flightNumber: 'SK 4035', route: 'OSL-BGO', flownOn: '2026-09-14', milesEarned: 1_200n },
    { flightNumber: 'SK 4036', route: 'BGO-OSL', flownOn: '2026-09-17', milesEarned: 800n },
  ],
  mbr_chloe: [
    { flightNumber: 'SK 1465', route: 'CPH-ARN', flownOn: '2026-10-02', milesEarned: 1_600n },
  ],
};
