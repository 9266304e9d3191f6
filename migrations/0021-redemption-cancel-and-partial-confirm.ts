import { Migration } from '@mikro-orm/migrations';

/**
 * Cancelling a confirmed redemption, and confirming a hold in part (issue 17.5).
 *
 * - A `cancel` transfer returns a confirmed redemption's points to the member (to the lots
 *   they came from) and names the hold in related_id; at most one per hold
 *   (transfer_cancels_hold_once), as a post or void is (transfer_settles_hold_once).
 * - redemption_hold records how many points were confirmed (the rest returned at once), and
 *   the cancel: a hold is `cancelled` exactly when it names its cancel transfer.
 *
 * The transfer code check is replaced NOT VALID and then validated, so the big table is only
 * scanned under a lock that lets reads and writes go on.
 */
export class Migration0021RedemptionCancelAndPartialConfirm extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
alter table transfer drop constraint transfer_code_known;
alter table transfer add constraint transfer_code_known check (code in (
  'earn', 'redeem', 'refund', 'mature', 'expire', 'hold', 'post', 'void', 'cancel',
  'convert', 'fee', 'adjust', 'settle')) not valid;
alter table transfer validate constraint transfer_code_known;
create unique index transfer_cancels_hold_once on transfer (related_id) where code = 'cancel';

alter table redemption_hold drop constraint redemption_hold_status_known;
alter table redemption_hold add constraint redemption_hold_status_known
  check (status in ('held', 'confirmed', 'declined', 'expired', 'cancelled'));
alter table redemption_hold
  add column confirmed_points bigint constraint redemption_hold_confirmed_points_positive check (confirmed_points > 0),
  add column cancel_transfer_id text references transfer (id),
  add column cancelled_at timestamptz;
update redemption_hold h set confirmed_points = p.amount_points
from pending_transfer p where p.transfer_id = h.hold_transfer_id and h.status = 'confirmed';
alter table redemption_hold
  add constraint redemption_hold_confirmed_has_points
    check ((status in ('confirmed', 'cancelled')) = (confirmed_points is not null)),
  add constraint redemption_hold_cancelled_has_transfer
    check ((status = 'cancelled') = (cancel_transfer_id is not null)
           and (cancel_transfer_id is null) = (cancelled_at is null));
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
