import { relative } from 'node:path';
import { projectRoot } from './config';
import { demoPartners } from './demo/seed';

/** What the start banner tells. */
export interface ReadyGateway {
  url: string;
  production: boolean;
  dataDir: string;
  embeddedDatabase: boolean;
  seeded: 'seeded' | 'repaired' | false;
  partnerServices: { name: string; url: string }[];
  /** Gateway processes serving the port (GATEWAY_WORKERS). */
  workers: number;
}

/** `npm start`'s banner: where the gateway is, and (outside production) how to try it. */
export function printBanner(ready: ReadyGateway): void {
  const processes = ready.workers > 1 ? ` (${ready.workers} gateway processes)` : '';
  const dataDir = relative(projectRoot, ready.dataDir) || ready.dataDir;
  if (ready.production) {
    // No demo coalition and no development tokens in production: say only what is true.
    console.log(`
Coalition gateway ready at ${ready.url} (production)${processes}
  database: ${ready.embeddedDatabase ? `embedded PostgreSQL in ${dataDir}/postgres` : 'DATABASE_URL'}
  partner subgraphs composed into the graph:${ready.partnerServices.map((service) => `\n    ${service.name.padEnd(14)} ${service.url}`).join('') || ' none'}
  tokens: from your identity provider (JWT_PUBLIC_JWKS); health at /health
`);
    return;
  }
  const query =
    '{ wallet { balances { currency available pending expiringSoon } history(first: 5) { entries { code description changes { currency available } } } } }';
  const federatedQuery =
    '{ wallet { balances { currency available } } skyAirAwardFlights { id destination price { currency points affordability { affordable shortfallPoints } } } nordicHotelRewards { id city price { currency points affordability { affordable shortfallPoints } } } }';
  console.log(`
Coalition gateway ready at ${ready.url}${processes}
  member wallet:    ${ready.url.replace(/\/graphql$/, '/')}
  finance console:  ${ready.url.replace(/\/graphql$/, '/finance')}
  database: ${ready.embeddedDatabase ? `embedded PostgreSQL in ${dataDir}/postgres (set DATABASE_URL to use your own)` : 'DATABASE_URL'}
  demo coalition: ${demoPartners.map((partner) => partner.name).join(', ')}${ready.seeded === 'seeded' ? ' (seeded just now)' : ready.seeded === 'repaired' ? ' (a half-done seed repaired just now)' : ''}
  partner subgraphs composed into the graph:${ready.partnerServices.map((service) => `\n    ${service.name.padEnd(14)} ${service.url}`).join('') || ' none'}

Get a token (development keys in ${dataDir}/keys; valid 12 hours):
  npm run -s token -- member mbr_alice        # or: partner ptr_fuelco | operator admin | finance ptr_skyair

Try a query:
  curl -s ${ready.url} -H 'content-type: application/json' \\
    -H "authorization: Bearer $(npm run -s token -- member mbr_alice)" \\
    -d '{"query":"${query}"}'

Rewards of two partners with affordability, beside the wallet (one query, federated):
  curl -s ${ready.url} -H 'content-type: application/json' \\
    -H "authorization: Bearer $(npm run -s token -- member mbr_alice)" \\
    -d '{"query":"${federatedQuery}"}'

Stop with Ctrl-C (stops the partner services and the database too).
`);
}
