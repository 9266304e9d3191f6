import { recordAudit } from '../audit/audit-log';
import type { Sql, SqlDatabase } from '../db/sql';
import { IdempotencyKeyReused } from '../ledger/errors';
import { claimKeys, requestHash, storeResponse } from '../ledger/idempotency';
import type { Clock } from '../shared/clock';
import type { RequestContext } from '../shared/context';
import {
  catchDomainError,
  type DomainError,
  type ErrorOf,
  failsWith,
  InvalidInput,
  NotFound,
} from '../shared/errors';
import { requireReference } from '../shared/validate';
import { partnerInScope, requireSettlementAdmin, settlementViewer } from './access';
import { type AdjustmentReceipt, resolveException } from './adjustments';
import { type AgreementInput, addAgreement, listAgreements } from './agreements';
import { type CloseProgress, closePeriod } from './close';
import { AgreementMissing, PeriodStateConflict } from './errors';
import {
  type SettlementTable,
  settlementCsv,
  statementCsv,
  statementCsvHeader,
  statementLineCsv,
  statementTotalsCsv,
} from './exports';
import { reconciliationFileRecordsMax, reconciliationRecordsMax } from './limits';
import type { Agreement, Page, Period, PeriodSettlement, Statement, StatementLine } from './model';
import { findPeriod, listPeriods, openPeriod } from './periods';
import {
  findReconciliation,
  type ItemStatus,
  listReconciliationIds,
  type Reconciliation,
  type ReconciliationItem,
  reconciliationItems,
  submitReconciliation,
} from './reconciliation';
import {
  type PartnerRecord,
  type RawRecord,
  recordsFromCsvText,
  validRecord,
} from './reconciliation-records';
import { closedPeriod, periodSettlement, statement, statementLines } from './statements';

export interface ReconciliationInput {
  periodId: string;
  /** The operator's finance users name the partner; a partner's get their own. */
  partnerId: string | null;
  /** Exactly one of `records` and `csv`. */
  records: RawRecord[] | null;
  csv: string | null;
  idempotencyKey: string | null;
}

export interface CsvPage {
  text: string;
  endCursor: string | null;
  hasNextPage: boolean;
}

/** Setting an agreement fails with one of these, and no other (its result union is built from them). */
export const setAgreementErrors = [InvalidInput, NotFound] as const;

/** Opening a period fails with one of these, and no other (its result union is built from them). */
export const openPeriodErrors = [InvalidInput] as const;

/** Closing a period fails with one of these, and no other (its result union is built from them). */
export const closePeriodErrors = [NotFound, PeriodStateConflict, AgreementMissing] as const;

/** A reconciliation fails with one of these, and no other (its result union is built from them). */
export const submitReconciliationErrors = [
  InvalidInput,
  NotFound,
  PeriodStateConflict,
  IdempotencyKeyReused,
] as const;

/** Resolving an exception fails with one of these, and no other (its result union is built from them). */
export const resolveExceptionErrors = [InvalidInput, NotFound, IdempotencyKeyReused] as const;

/**
 * Settlement between partners: agreements, periods and their close, netting, statements,
 * reconciliation and adjustments. Every method takes the request context first, checks who may
 * do what (access.ts) and returns expected failures as DomainError values. Writes run in one
 * transaction each; value-moving ones (closing, adjusting) are idempotent.
 */
export class SettlementService {
  constructor(
    private readonly db: SqlDatabase,
    private readonly clock: Clock,
  ) {}

  /** Adds effective-dated terms (operator finance). Errors (`setAgreementErrors`): InvalidInput, NotFound, Forbidden. */
  setAgreement(
    ctx: RequestContext,
    input: AgreementInput,
  ): Promise<Agreement | ErrorOf<typeof setAgreementErrors>> {
    return failsWith(setAgreementErrors, async () => {
      const userId = requireSettlementAdmin(ctx);
      return this.db.transaction(async (sql) => {
        const agreement = await addAgreement(sql, input, userId);
        await recordAudit(sql, ctx, {
          entity: 'settlement_agreement',
          entityId: agreement.id.toString(),
          action: 'create',
          before: null,
          after: agreement,
          partnerIds: [agreement.partnerId],
          at: this.clock.now(),
        });
        return agreement;
      });
    });
  }

  /** Agreements a caller may see: a partner's own, or all (or one partner's) for the operator. */
  agreements(ctx: RequestContext, partnerId: string | null): Promise<Agreement[] | DomainError> {
    return catchDomainError(async () =>
      listAgreements(this.db, partnerInScope(settlementViewer(ctx), partnerId)),
    );
  }

  /** Opens the next period (operator finance). Errors (`openPeriodErrors`): InvalidInput, Forbidden. */
  openPeriod(
    ctx: RequestContext,
    input: { startsAt: Date | null; endsAt: Date },
  ): Promise<Period | ErrorOf<typeof openPeriodErrors>> {
    return failsWith(openPeriodErrors, async () => {
      const userId = requireSettlementAdmin(ctx);
      return this.db.transaction(async (sql) => {
        const period = await openPeriod(sql, input, userId);
        await recordAudit(sql, ctx, {
          entity: 'settlement_period',
          entityId: period.id,
          action: 'open',
          before: null,
          after: period,
          at: this.clock.now(),
        });
        return period;
      });
    });
  }

  periods(ctx: RequestContext): Promise<Period[] | DomainError> {
    return catchDomainError(async () => {
      settlementViewer(ctx);
      return listPeriods(this.db);
    });
  }

  period(ctx: RequestContext, id: string): Promise<Period | DomainError> {
    return catchDomainError(async () => {
      settlementViewer(ctx);
      return findPeriod(this.db, id);
    });
  }

  /**
   * Closes a period (operator finance); see close.ts. Idempotent: closing a closed period
   * returns it unchanged. Errors (`closePeriodErrors`): NotFound, PeriodStateConflict, AgreementMissing, Forbidden.
   */
  closePeriod(
    ctx: RequestContext,
    periodId: string,
    progress?: CloseProgress,
  ): Promise<Period | ErrorOf<typeof closePeriodErrors>> {
    return failsWith(closePeriodErrors, async () => {
      const userId = requireSettlementAdmin(ctx);
      return closePeriod(this.db, this.clock, periodId, userId, progress);
    });
  }

  /** The whole network's netting of a closed period (operator finance). */
  periodSettlement(ctx: RequestContext, periodId: string): Promise<PeriodSettlement | DomainError> {
    return catchDomainError(async () => {
      requireSettlementAdmin(ctx);
      return periodSettlement(this.db, periodId);
    });
  }

  /** Errors: NotFound (period, partner), PeriodStateConflict, InvalidInput, Forbidden. */
  statement(
    ctx: RequestContext,
    periodId: string,
    partnerId: string | null,
  ): Promise<Statement | DomainError> {
    return catchDomainError(async () =>
      statement(this.db, periodId, await this.statementPartner(ctx, partnerId)),
    );
  }

  statementLines(
    ctx: RequestContext,
    periodId: string,
    partnerId: string | null,
    first: number,
    after: string | null,
  ): Promise<Page<StatementLine> | DomainError> {
    return catchDomainError(async () => {
      const partner = await this.statementPartner(ctx, partnerId);
      await closedPeriod(this.db, periodId);
      return statementLines(this.db, periodId, partner, first, after);
    });
  }

  /**
   * A page of a statement as CSV: the header on the first page, the totals after the last
   * line, so the pages concatenated are the whole file.
   */
  statementCsvPage(
    ctx: RequestContext,
    periodId: string,
    partnerId: string | null,
    first: number,
    after: string | null,
  ): Promise<CsvPage | DomainError> {
    return catchDomainError(async () => {
      const partner = await this.statementPartner(ctx, partnerId);
      const whole = await statement(this.db, periodId, partner);
      const page = await statementLines(this.db, periodId, partner, first, after);
      const text = [
        after === null ? statementCsvHeader : '',
        ...page.items.map((line) => statementLineCsv(periodId, partner, line)),
        page.hasNextPage ? '' : statementTotalsCsv(whole),
      ].join('');
      return { text, endCursor: page.endCursor, hasNextPage: page.hasNextPage };
    });
  }

  /**
   * A whole statement as CSV chunks, streamed from the database (memory stays flat however
   * long it is): for the command line. Errors: as `statement`.
   */
  exportStatement(
    ctx: RequestContext,
    periodId: string,
    partnerId: string | null,
    progress?: (lines: number) => void,
  ): Promise<AsyncGenerator<string> | DomainError> {
    return catchDomainError(async () => {
      const whole = await statement(this.db, periodId, await this.statementPartner(ctx, partnerId));
      return statementCsv(this.db, whole, progress);
    });
  }

  /** A netting table of a closed period as CSV (operator finance). */
  settlementCsv(
    ctx: RequestContext,
    periodId: string,
    table: SettlementTable,
  ): Promise<string | DomainError> {
    return catchDomainError(async () => {
      requireSettlementAdmin(ctx);
      return settlementCsv(await periodSettlement(this.db, periodId), table);
    });
  }

  /**
   * Matches a partner's records of a closed period against its statement; records come as
   * structured values or CSV text (each bounded, see limits.ts). Idempotent on
   * `idempotencyKey` when given. Errors (`submitReconciliationErrors`): InvalidInput, NotFound, PeriodStateConflict,
   * IdempotencyKeyReused, Forbidden.
   */
  submitReconciliation(
    ctx: RequestContext,
    input: ReconciliationInput,
  ): Promise<Reconciliation | ErrorOf<typeof submitReconciliationErrors>> {
    return failsWith(submitReconciliationErrors, async () => {
      const viewer = settlementViewer(ctx);
      const partnerId = partnerInScope(viewer, input.partnerId);
      if (partnerId === null) throw new InvalidInput('partnerId', 'name the partner reconciling');
      const records = recordsOf(input);
      return this.db.transaction(async (sql) => {
        const claim = input.idempotencyKey && {
          scope: partnerId,
          operation: 'reconcile',
          key: requireReference('idempotencyKey', input.idempotencyKey),
          requestHash: requestHash({ periodId: input.periodId, records }),
        };
        // Not idempotentWrite: the key is optional, moves no value, and stores only the
        // reconciliation's id (its items can be many), read again on a replay.
        if (claim) {
          const [outcome] = await claimKeys(sql, [claim], [{ pending: true }]);
          if (outcome!.status === 'replay') {
            return findReconciliation(sql, (outcome!.response as { id: string }).id);
          }
          if (outcome!.status === 'conflict') throw new IdempotencyKeyReused(claim.key);
        }
        await requirePartner(sql, partnerId);
        const reconciliation = await submitReconciliation(sql, {
          periodId: input.periodId,
          partnerId,
          source: input.csv !== null ? 'csv' : 'api',
          submittedBy: viewer.userId,
          createdAt: this.clock.now(),
          records,
          recordsMax: reconciliationRecordsMax,
        });
        if (claim) await storeResponse(sql, claim, { id: reconciliation.id });
        return reconciliation;
      });
    });
  }

  /**
   * Like submitReconciliation, for a stream of records of any length (a file read by the
   * command line, up to reconciliationFileRecordsMax). One transaction, not retried: a stream
   * cannot be read twice.
   */
  submitReconciliationStream(
    ctx: RequestContext,
    input: { periodId: string; partnerId: string | null; records: AsyncIterable<PartnerRecord> },
  ): Promise<Reconciliation | DomainError> {
    return catchDomainError(async () => {
      const viewer = settlementViewer(ctx);
      const partnerId = partnerInScope(viewer, input.partnerId);
      if (partnerId === null) throw new InvalidInput('partnerId', 'name the partner reconciling');
      await requirePartner(this.db, partnerId);
      const client = await this.db.pool.connect();
      try {
        await client.query('begin');
        const reconciliation = await submitReconciliation(client, {
          periodId: input.periodId,
          partnerId,
          source: 'csv',
          submittedBy: viewer.userId,
          createdAt: this.clock.now(),
          records: input.records,
          recordsMax: reconciliationFileRecordsMax,
        });
        await client.query('commit');
        return reconciliation;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    });
  }

  /** Errors: NotFound (also for another partner's), Forbidden. */
  reconciliation(ctx: RequestContext, id: string): Promise<Reconciliation | DomainError> {
    return catchDomainError(async () => this.visibleReconciliation(ctx, id));
  }

  reconciliations(
    ctx: RequestContext,
    filter: { partnerId: string | null; periodId: string | null },
    limit: number,
  ): Promise<Reconciliation[] | DomainError> {
    return catchDomainError(async () => {
      const partnerId = partnerInScope(settlementViewer(ctx), filter.partnerId);
      const ids = await listReconciliationIds(
        this.db,
        { partnerId, periodId: filter.periodId },
        limit,
      );
      return Promise.all(ids.map((id) => findReconciliation(this.db, id)));
    });
  }

  reconciliationItems(
    ctx: RequestContext,
    id: string,
    status: ItemStatus | null,
    first: number,
    after: bigint | null,
  ): Promise<Page<ReconciliationItem> | DomainError> {
    return catchDomainError(async () => {
      await this.visibleReconciliation(ctx, id);
      return reconciliationItems(this.db, id, status, first, after);
    });
  }

  /** Resolves an exception with an adjustment (operator finance); see adjustments.ts. */
  resolveException(
    ctx: RequestContext,
    input: {
      itemId: bigint;
      amountMinor: bigint | null;
      amountCurrency: string | null;
      counterpartyId: string | null;
      note: string;
    },
  ): Promise<AdjustmentReceipt | ErrorOf<typeof resolveExceptionErrors>> {
    return failsWith(resolveExceptionErrors, async () => {
      const userId = requireSettlementAdmin(ctx);
      return this.db.transaction((sql) =>
        resolveException(sql, { ...input, resolvedBy: userId, createdAt: this.clock.now() }),
      );
    });
  }

  private async statementPartner(ctx: RequestContext, requested: string | null): Promise<string> {
    const partnerId = partnerInScope(settlementViewer(ctx), requested);
    if (partnerId === null) throw new InvalidInput('partnerId', 'name the partner');
    await requirePartner(this.db, partnerId);
    return partnerId;
  }

  private async visibleReconciliation(ctx: RequestContext, id: string): Promise<Reconciliation> {
    const viewer = settlementViewer(ctx);
    const reconciliation = await findReconciliation(this.db, id);
    if (viewer.scope === 'partner' && reconciliation.partnerId !== viewer.partnerId) {
      throw new NotFound('reconciliation', id);
    }
    return reconciliation;
  }
}

function recordsOf(input: ReconciliationInput): PartnerRecord[] {
  if ((input.records === null) === (input.csv === null)) {
    throw new InvalidInput('records', 'give exactly one of records and csv');
  }
  if (input.csv !== null) return recordsFromCsvText(input.csv);
  if (input.records!.length > reconciliationRecordsMax) {
    throw new InvalidInput(
      'records',
      `at most ${reconciliationRecordsMax} records per reconciliation`,
    );
  }
  return input.records!.map((record, index) => validRecord(record, `records[${index}]`));
}

async function requirePartner(sql: Sql, partnerId: string): Promise<void> {
  const found = await sql.query('select 1 from partner where id = $1', [partnerId]);
  if (found.rowCount === 0) throw new NotFound('partner', partnerId);
}
