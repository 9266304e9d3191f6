import { Entity, PrimaryKey, PrimaryKeyProp, Property } from '@mikro-orm/core';

/**
 * A partner's own identifier for a member (a frequent flyer number, a loyalty card). A partner
 * sees exactly the members linked to it.
 */
@Entity({ tableName: 'member_link' })
export class MemberLinkRecord {
  [PrimaryKeyProp]?: ['partnerId', 'externalId'];

  @PrimaryKey({ type: 'text' })
  partnerId!: string;

  @PrimaryKey({ type: 'text' })
  externalId!: string;

  @Property({ type: 'text' })
  memberId!: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date = new Date();
}
