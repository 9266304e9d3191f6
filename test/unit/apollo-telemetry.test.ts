import { execFileSync } from 'node:child_process';
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
        supergraphSdl: () => '',
        coalitionOnly: true,
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

  it('loads its exporters and cloud detectors only when it reports (patches/)', () => {
    // A fresh process: Jest's registry would hide what plain require() loads.
    const script = `
      const { ApolloGateway } = require('@apollo/gateway');
      const telemetry = require('@apollo/gateway/dist/utilities/opentelemetry');
      const loaded = () => Object.keys(require.cache).filter((path) =>
        /@opentelemetry\\/(sdk-metrics|resources|resource-detector-|exporter-metrics-otlp-http)|semantic-conventions\\/build\\/src\\/index-incubating/.test(path));
      const before = loaded().length;
      // What ApolloGateway calls when telemetry is on; an exporter that drops everything.
      const exporter = { export: (_metrics, done) => done({ code: 0 }), forceFlush: async () => {},
        shutdown: async () => {}, selectAggregationTemporality: () => 1 };
      const provider = telemetry.createDataCollectionMeterProvider(exporter);
      provider.shutdown().then(() => console.log(JSON.stringify({ before, after: loaded().length,
        constructs: typeof ApolloGateway })));
    `;
    const result = JSON.parse(
      execFileSync(process.execPath, ['-e', script], {
        cwd: `${__dirname}/../..`,
        encoding: 'utf8',
      }),
    );
    expect(result).toEqual({ before: 0, after: expect.any(Number), constructs: 'function' });
    expect(result.after).toBeGreaterThan(0);
  });
});
