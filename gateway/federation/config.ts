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
  return {
    demoPartnersInProcess: demoPartnersInProcess(env.DEMO_PARTNERS, production),
    partnerServices: partnerServices(env.PARTNER_SERVICES),
    partnerHost: env.PARTNER_HOST || '127.0.0.1',
    subgraphTimeoutMs: subgraphTimeoutMs(env.SUBGRAPH_TIMEOUT_MS),
  };
}

/*
 * One parser per variable, each throwing an error that names it: loadFederationConfig uses them,
 * and the start-up check (config-check.ts) runs each alone to report every problem at once.
 */

export function demoPartnersInProcess(value: string | undefined, production: boolean): boolean {
  const demo = value ?? (production ? 'off' : 'in-process');
  if (demo !== 'in-process' && demo !== 'off') {
    throw new Error(`DEMO_PARTNERS must be "in-process" or "off", got "${demo}"`);
  }
  return demo === 'in-process';
}

export function partnerServices(value: string | undefined): Record<string, string> {
  const services: Record<string, string> = {};
  for (const entry of (value ?? '').split(',').map((item) => item.trim())) {
    if (entry === '') continue;
    const match = /^(ptr_[a-z0-9_]+)=(https?:\/\/\S+)$/.exec(entry);
    if (!match) throw new Error(`PARTNER_SERVICES entry "${entry}" must be ptr_id=http(s)://url`);
    services[match[1]!] = match[2]!;
  }
  return services;
}

export function subgraphTimeoutMs(value: string | undefined): number | undefined {
  const timeout = value ? Number(value) : undefined;
  if (timeout !== undefined && !(Number.isSafeInteger(timeout) && timeout > 0)) {
    throw new Error('SUBGRAPH_TIMEOUT_MS must be a positive integer');
  }
  return timeout;
}
