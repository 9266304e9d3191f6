import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** A program currency (SkyAir miles, Nordic Hotels points), owned by its issuing partner. */
@Entity({ tableName: 'currency' })
export class CurrencyRecord {
  @PrimaryKey({ type: 'text' })
  code!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  ownerPartnerId!: string;

  /** Points expire this many months after they were earned; null: never. */
  @Property({ type: 'integer', nullable: true })
  expiryMonths: number | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date = new Date();
}
