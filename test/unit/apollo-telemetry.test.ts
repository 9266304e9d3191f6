import {
  apolloTelemetryOffUnlessAsked,
  CoalitionGateway,
} from '../../gateway/federation/coalition-gateway';

/** Apollo's gateway reports the host to Apollo unless told not to: off unless the operator asks. */
describe("Apollo's usage reporting", () => {
  it('is off when APOLLO_TELEMETRY_DISABLED is unset, and left as the operator set it', () => {
    const unset: NodeJS.ProcessEnv = {};
    apolloTelemetryOffUnlessAsked(unset);
    expect(unset.APOLLO_TELEMETRY_DISABLED).toBe('true');
    const asked: NodeJS.ProcessEnv = { APOLLO_TELEMETRY_DISABLED: 'false' };
    apolloTelemetryOffUnlessAsked(asked);
    expect(asked.APOLLO_TELEMETRY_DISABLED).toBe('false');
  });

  it('is turned off before the gateway constructs ApolloGateway', async () => {
    const before = process.env.APOLLO_TELEMETRY_DISABLED;
    delete process.env.APOLLO_TELEMETRY_DISABLED;
    try {
      const gateway = new CoalitionGateway({
        coalitionSchema: undefined as never,
        coalitionSubgraphSchema: () => undefined as never,
        supergraphSdl: '',
        signer: undefined as never,
        subgraphTimeoutMs: 1_000,
        log: () => undefined,
      });
      expect(process.env.APOLLO_TELEMETRY_DISABLED).toBe('true');
      await gateway.stop().catch(() => undefined);
    } finally {
      if (before === undefined) delete process.env.APOLLO_TELEMETRY_DISABLED;
      else process.env.APOLLO_TELEMETRY_DISABLED = before;
    }
  });
});
