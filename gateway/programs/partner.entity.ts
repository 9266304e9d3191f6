import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** A business in the coalition: an airline, a hotel chain, a fuel station network, a shop. */
@Entity({ tableName: 'partner' })
export class PartnerRecord {
  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date = new Date();
}
