import { BigIntType, Entity, PrimaryKey, PrimaryKeyProp, Property } from '@mikro-orm/core';

/**
 * A partner's terms for one program currency: whether it awards it, whether it accepts it as
 * payment, and its earn rate (earnRatePoints points per earnRatePerMinor minor units of money).
 */
@Entity({ tableName: 'partner_currency' })
export class PartnerCurrencyRecord {
  [PrimaryKeyProp]?: ['partnerId', 'currencyCode'];

  @PrimaryKey({ type: 'text' })
  partnerId!: string;

  @PrimaryKey({ type: 'text' })
  currencyCode!: string;

  @Property({ type: 'boolean' })
  earns!: boolean;

  @Property({ type: 'boolean' })
  accepts!: boolean;

  @Property({ type: new BigIntType('bigint') })
  earnRatePoints: bigint = 0n;

  @Property({ type: new BigIntType('bigint') })
  earnRatePerMinor: bigint = 100n;

  @Property({ type: 'text' })
  moneyCurrency = 'EUR';
}
