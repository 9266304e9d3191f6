import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** A single-use code a member gives a partner to consent to being linked (only its hash is kept). */
@Entity({ tableName: 'member_link_code' })
export class MemberLinkCodeRecord {
  @PrimaryKey({ type: 'text' })
  codeHash!: string;

  @Property({ type: 'text' })
  memberId!: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  usedAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  usedByPartnerId: string | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date = new Date();
}
