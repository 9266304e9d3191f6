import type { App } from '../app';
import type { AgreementInput } from '../settlement/agreements';
import { DomainError } from '../shared/errors';

/** Demo terms take effect long before any demo activity. */
const demoTermsStart = new Date('2000-01-01T00:00:00Z');

/**
 * Settlement terms of the demo coalition, in EUR, per ../shared/DOMAIN.md: partners buy SKY
 * from SkyAir at 0.012 and are reimbursed 0.008 per mile redeemed; a mile created from hotel
 * points costs Nordic 0.010. HTL is priced at a fifth of that (5 HTL = 1 SKY). No operator fee.
 */
export const demoAgreements: AgreementInput[] = [
  sky('ptr_fuelco'),
  sky('ptr_telcoone'),
  sky('ptr_nordic'),
  htl('ptr_freshmart'),
  htl('ptr_skyair'),
];

function sky(partnerId: string): AgreementInput {
  return {
    partnerId,
    currency: 'SKY',
    settlementCurrency: 'EUR',
    effectiveFrom: demoTermsStart,
    issuancePrice: '0.012',
    reimbursementPrice: '0.008',
    exchangePrice: '0.010',
  };
}

function htl(partnerId: string): AgreementInput {
  return {
    partnerId,
    currency: 'HTL',
    settlementCurrency: 'EUR',
    effectiveFrom: demoTermsStart,
    issuancePrice: '0.0024',
    reimbursementPrice: '0.0016',
    exchangePrice: '0.002',
  };
}

export async function seedDemoAgreements(app: App): Promise<void> {
  const system = app.systemContext('seed');
  for (const agreement of demoAgreements) {
    const outcome = await app.settlement.setAgreement(system, agreement);
    if (outcome instanceof DomainError) {
      throw new Error(`demo agreements failed: ${outcome.message}`);
    }
  }
}
