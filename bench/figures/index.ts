import type { Experiment } from '../figure';
import { earnRulesVsPlain } from './earn-rules-vs-plain';
import { earnTiersVsPlain } from './earn-tiers-vs-plain';
import { earnVsTpcb } from './earn-vs-tpcb';
import { federationOverhead } from './federation-overhead';
import { hotPartner } from './hot-partner';
import { readUncachedVsBareHttp } from './read-uncached-vs-bare-http';
import { readVsBareHttp } from './read-vs-bare-http';
import { scaleLatency } from './scale-latency';
import { settleVsScan } from './settle-vs-scan';
import { stuckPartner } from './stuck-partner';
import { webhooks } from './webhooks';

/** Every experiment, in the order a run performs them (cheapest data first). */
export const experiments: Experiment[] = [
  earnVsTpcb,
  hotPartner,
  earnTiersVsPlain,
  earnRulesVsPlain,
  webhooks,
  stuckPartner,
  readVsBareHttp,
  readUncachedVsBareHttp,
  federationOverhead,
  settleVsScan,
  scaleLatency,
];
