import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** A person in the coalition: one wallet across every program. */
@Entity({ tableName: 'member' })
export class MemberRecord {
  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text' })
  displayName!: string;

  @Property({ type: 'text', nullable: true })
  email: string | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date = new Date();
}
