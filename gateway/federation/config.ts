/**
 * Federation settings, read from the environment alongside gateway/config.ts:
 *
 * | variable          | default                     | meaning                                          |
 * |-------------------|-----------------------------|--------------------------------------------------|
 * | DEMO_PARTNERS     | `in-process` (not in prod)  | `in-process` runs the demo partner services inside `npm start`; `off` does not |
 * | PARTNER_SERVICES  | none                        | `ptr_skyair=http://airline:4101/graphql,...`: services registered at start (docker-compose) |
 * | PARTNER_HOST      | `127.0.0.1`                 | where in-process partner services listen          |
 * | SUBGRAPH_TIMEOUT_MS | 2000                      | how long a partner subgraph may take               |
 */
export interface FederationConfig {
  demoPartnersInProcess: boolean;
  partnerServices: Record<string, string>;
  partnerHost: string;
  subgraphTimeoutMs: number | undefined;
}

export function loadFederationConfig(
  env: NodeJS.ProcessEnv,
  production: boolean,
): FederationConfig {
  const demo = env.DEMO_PARTNERS ?? (production ? 'off' : 'in-process');
  if (demo !== 'in-process' && demo !== 'off') {
    throw new Error(`DEMO_PARTNERS must be "in-process" or "off", got "${demo}"`);
  }
  const partnerServices: Record<string, string> = {};
  for (const entry of (env.PARTNER_SERVICES ?? '').split(',').map((item) => item.trim())) {
    if (entry === '') continue;
    const [partnerId, url] = entry.split('=', 2);
    if (!partnerId || !url) throw new Error(`PARTNER_SERVICES entry "${entry}" is not id=url`);
    partnerServices[partnerId] = url;
  }
  const timeout = env.SUBGRAPH_TIMEOUT_MS ? Number(env.SUBGRAPH_TIMEOUT_MS) : undefined;
  if (timeout !== undefined && !(Number.isSafeInteger(timeout) && timeout > 0)) {
    throw new Error('SUBGRAPH_TIMEOUT_MS must be a positive integer');
  }
  return {
    demoPartnersInProcess: demo === 'in-process',
    partnerServices,
    partnerHost: env.PARTNER_HOST || '127.0.0.1',
    subgraphTimeoutMs: timeout,
  };
}
