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

  /** The birthday's month and day (no year), for birthday rewards; null when not given. */
  @Property({ type: 'smallint', nullable: true })
  birthMonth: number | null = null;

  @Property({ type: 'smallint', nullable: true })
  birthDay: number | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date = new Date();
}
