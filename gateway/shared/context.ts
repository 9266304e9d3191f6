import type { EntityManager } from '@mikro-orm/postgresql';
import { Forbidden } from './errors';
import type { DeadlineAt } from './transient';

/** Who is calling. Every service method takes the request context first. */
export type Caller =
  | { kind: 'partner'; partnerId: string }
  | { kind: 'member'; memberId: string }
  /** A finance user: of one partner, or of the operator (partnerId undefined) who sees all. */
  | { kind: 'finance'; userId: string; partnerId: string | undefined }
  | { kind: 'operator'; userId: string }
  /** Scheduled jobs, command-line tools and the demo seed. */
  | { kind: 'system' }
  /** No (valid) token: may only ask who it is. */
  | { kind: 'anonymous' };

export type CallerKind = Caller['kind'];

export interface RequestContext {
  caller: Caller;
  /** Correlates the log lines of one request. */
  requestId: string;
  /** An EntityManager forked for this request: its identity map dies with the request. */
  em: EntityManager;
  /**
   * When the caller stops waiting (HTTP requests: REQUEST_DEADLINE_MS after arrival). Writes
   * not yet committed by then roll back (DEADLINE_EXCEEDED); undefined for jobs and tools.
   */
  deadlineAt?: DeadlineAt;
}

/** Narrows the caller to one of the given kinds or fails with Forbidden. */
export function requireCaller<Kind extends CallerKind>(
  ctx: RequestContext,
  ...kinds: Kind[]
): Extract<Caller, { kind: Kind }> {
  if (!(kinds as CallerKind[]).includes(ctx.caller.kind)) {
    throw new Forbidden(`this operation is for ${kinds.join(' or ')} callers`);
  }
  return ctx.caller as Extract<Caller, { kind: Kind }>;
}

/** Operator-level callers: the operator itself and internal jobs. */
export function isPrivileged(ctx: RequestContext): boolean {
  return ctx.caller.kind === 'operator' || ctx.caller.kind === 'system';
}

export function systemContextFor(em: EntityManager, requestId = 'system'): RequestContext {
  return { caller: { kind: 'system' }, requestId, em };
}

/** Who made a change, for the record: "partner:ptr_skyair", "operator:ops-1", "system". */
export function callerName(ctx: RequestContext): string {
  const caller = ctx.caller;
  switch (caller.kind) {
    case 'partner':
      return `partner:${caller.partnerId}`;
    case 'operator':
      return `operator:${caller.userId}`;
    case 'finance':
      return `finance:${caller.userId}`;
    case 'member':
      return `member:${caller.memberId}`;
    default:
      return caller.kind;
  }
}
