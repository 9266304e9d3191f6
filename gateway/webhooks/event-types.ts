/**
 * The events partners can subscribe to (issue 18 item 4), each with what it reports. The
 * database checks the same list (migrations/0050: webhook_event, webhook_subscription).
 */
export const webhookEventTypes = Object.freeze({
  // Appended by ledger_earn_batch's step 2, and by postGrants for rewards (migrations/0072).
  'points.earned': 'a member earned points at the partner (a purchase, a member event or a reward)',
  'points.spent': 'a member paid with points at the partner, or a redemption hold was confirmed',
  'points.refunded': 'a purchase at the partner was refunded: points returned and taken back',
  'points.expiring':
    "points of the partner's program expire within the notice days (the member's reminder)",
  'member.enrolled': 'a new member was enrolled by the partner',
  'member.linked': 'an existing member was linked to the partner',
  'tier.changed': "a member's tier changed in the partner's program",
  'hold.voided': 'a redemption hold at the partner was declined or expired: its points went back',
  'period.closed': 'a settlement period was closed',
  'statement.ready': "the partner's statement of a closed period is ready",
} as const);

export type WebhookEventType = keyof typeof webhookEventTypes;

export const webhookEventTypeNames = Object.freeze(
  Object.keys(webhookEventTypes) as WebhookEventType[],
);

export function isWebhookEventType(value: string): value is WebhookEventType {
  return Object.hasOwn(webhookEventTypes, value);
}

/** An event's public id: its outbox row, prefixed (stable across replays and retries). */
export function webhookEventId(row: bigint): string {
  return `evt_${row}`;
}
