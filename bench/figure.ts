import type { BenchContext } from './context';
import type { FigureName } from './options';
import { roundedSpread, type Spread, spreadOf } from './summary';

export interface Target {
  comparison: '>=' | '<=';
  value: number;
  unit: 'ratio' | 'MB' | 'ms';
}

/** What each figure means and what it should reach (issue 6). */
export const figureDefinitions: Record<FigureName, { definition: string; target: Target }> = {
  earn_vs_tpcb: {
    definition:
      'durable earn mutations/s end to end (HTTP, GraphQL, JWT, ledger, commit) ÷ pgbench TPC-B tps, same server, same run',
    target: { comparison: '>=', value: 1, unit: 'ratio' },
  },
  hot_partner: {
    definition: 'earn/s when every earn comes from one partner ÷ earn/s spread over 20 partners',
    target: { comparison: '>=', value: 0.9, unit: 'ratio' },
  },
  read_vs_bare_http: {
    definition:
      'wallet query (3 balances + last 20 history entries) req/s ÷ a bare node:http server returning the same bytes',
    target: { comparison: '>=', value: 0.5, unit: 'ratio' },
  },
  read_uncached_vs_bare_http: {
    definition:
      'the same wallet query over 10,000 distinct members (each 3 balances, 21 earns) with nothing reused (a nonce variable per request) req/s ÷ the bare node:http server',
    target: { comparison: '>=', value: 0.2, unit: 'ratio' },
  },
  settle_vs_scan: {
    definition:
      'closing a period of 1,000,000 transfers over 20 partners ÷ one SQL aggregate scan over the same rows',
    target: { comparison: '<=', value: 3, unit: 'ratio' },
  },
  statement_page_ms: {
    definition:
      "the slower of a statement's first page of 100 lines and a page deep in by cursor (median of 5 reads each), the busiest partner's statement of the settle_vs_scan period",
    target: { comparison: '<=', value: 50, unit: 'ms' },
  },
  scale_latency: {
    definition: 'earn p50 latency with 10,000,000 transfers stored ÷ with 10,000',
    target: { comparison: '<=', value: 1.2, unit: 'ratio' },
  },
  federation_overhead: {
    definition:
      "p50 of wallet + one partner's rewards through the gateway ÷ the coalition-only wallet query",
    target: { comparison: '<=', value: 1.5, unit: 'ratio' },
  },
  gateway_rss: {
    definition:
      'peak RSS of each gateway process (the largest; their sum in details) during each earn_vs_tpcb window (VmHWM)',
    target: { comparison: '<=', value: 256, unit: 'MB' },
  },
  stuck_partner: {
    definition:
      "other partners' earn/s while one partner's issuance row is locked by another transaction (its own earns still arriving) ÷ the same load with no lock",
    target: { comparison: '>=', value: 0.5, unit: 'ratio' },
  },
  earn_tiers_vs_plain: {
    definition:
      'earns/s in a program with a four-tier ladder (multiplier applied, qualification updated) ÷ the same load in a program without tiers, same gateway, side by side',
    target: { comparison: '>=', value: 0.9, unit: 'ratio' },
  },
  earn_rules_vs_plain: {
    definition:
      'earns/s with baskets in a tiered program with 20 active earning rules (multipliers, channel and threshold bonuses, tier conditions, stacking) ÷ the same load in the same kind of program without rules, side by side',
    target: { comparison: '>=', value: 0.8, unit: 'ratio' },
  },
  earn_with_outbox_vs_plain: {
    definition:
      'earns/s (the earn_vs_tpcb load) with the earn batch appending points.earned events (the default; numbered by the sequencer; subscriptions paused) ÷ the same load with earn events switched off, same gateway, side by side; with delivery to 20 subscriptions in details',
    target: { comparison: '>=', value: 0.9, unit: 'ratio' },
  },
  webhook_lag_p99: {
    definition:
      "p99 of the time from an earn (its occurredAt, before its batch commits) to its event's receipt at a subscriber on 127.0.0.1, under the earn_vs_tpcb load (20 partners, each subscribed)",
    target: { comparison: '<=', value: 1_000, unit: 'ms' },
  },
  overload_p99: {
    definition:
      'p99 latency of the acknowledged earns with 200 clients (the rest answered 503 BUSY within GATEWAY_QUEUE_WAIT_MS)',
    target: { comparison: '<=', value: 1_000, unit: 'ms' },
  },
};

interface FigureBase {
  name: FigureName;
  definition: string;
  target: Target;
  /** Per-run values and other measurements behind the figure (rates, latencies, sizes). */
  details: Record<string, unknown>;
  /** Caveats: fewer runs than the issue asks, failed requests, a smaller data set... */
  notes: string[];
  /** One line with the medians behind the figure, printed under the table. */
  summary?: string;
}

export type FigureResult =
  | (FigureBase & { status: 'measured'; value: Spread; met: boolean })
  | (FigureBase & { status: 'not available' | 'failed'; reason: string });

/** A part of the benchmark producing one or more figures (earn_vs_tpcb also yields gateway_rss). */
export interface Experiment {
  figures: FigureName[];
  run(context: BenchContext): Promise<FigureResult[]>;
}

/** A figure from its per-run values (rounded here); met is judged on the median. */
export function measured(
  name: FigureName,
  runs: readonly number[],
  details: Record<string, unknown> = {},
  notes: string[] = [],
  summary?: string,
): FigureResult {
  const { definition, target } = figureDefinitions[name];
  const value = roundedSpread(spreadOf(runs));
  const met =
    target.comparison === '>=' ? value.median >= target.value : value.median <= target.value;
  return { name, definition, target, status: 'measured', value, met, details, notes, summary };
}

export function notAvailable(
  name: FigureName,
  reason: string,
  details: Record<string, unknown> = {},
  notes: string[] = [],
): FigureResult {
  const { definition, target } = figureDefinitions[name];
  return { name, definition, target, status: 'not available', reason, details, notes };
}

export function failed(
  name: FigureName,
  reason: string,
  details: Record<string, unknown> = {},
): FigureResult {
  const { definition, target } = figureDefinitions[name];
  return { name, definition, target, status: 'failed', reason, details, notes: [] };
}

/** Min/median/max of one measurement over a figure's runs, rounded for the report. */
export function spreadOver<T>(runs: readonly T[], pick: (run: T) => number): Spread {
  return roundedSpread(spreadOf(runs.map(pick)));
}
