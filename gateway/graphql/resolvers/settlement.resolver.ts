import {
  Arg,
  Authorized,
  Ctx,
  FieldResolver,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { PageInfo } from '../../../schema/common';
import { errorsDoc } from '../../../schema/errors';
import {
  CloseSettlementPeriodResult,
  CsvPage,
  OpenSettlementPeriodInput,
  OpenSettlementPeriodResult,
  PeriodSettlement,
  Reconciliation,
  ReconciliationItemConnection,
  ReconciliationItemStatus,
  ResolveReconciliationExceptionInput,
  ResolveReconciliationExceptionResult,
  SetSettlementAgreementInput,
  SetSettlementAgreementResult,
  SettlementAgreement,
  SettlementPeriod,
  SettlementTable,
  Statement,
  StatementLineConnection,
  SubmitReconciliationInput,
  SubmitReconciliationResult,
} from '../../../schema/settlement';
import { pageSizeDefault, pageSizeMax } from '../../ledger/limits';
import { statementPageSizeDefault, statementPageSizeMax } from '../../settlement/limits';
import {
  closePeriodErrors,
  openPeriodErrors,
  resolveExceptionErrors,
  setAgreementErrors,
  submitReconciliationErrors,
} from '../../settlement/settlement-service';
import { InvalidInput } from '../../shared/errors';
import type { GraphQLContext } from '../context';
import { badInput } from '../error-results';
import { moneyFromInput } from '../mappers';
import { respond } from '../respond';
import {
  adjustmentObject,
  agreementObject,
  exceptionIdFromGlobal,
  periodObject,
  periodSettlementObject,
  queryValue,
  reconciliationItemObject,
  reconciliationObject,
  statementLineObject,
  statementObject,
} from '../settlement-mappers';

/**
 * Settlement for finance users and the operator. Thin: one auth rule (which callers), one
 * service call (which records: a partner's finance users get their own), a mapping.
 */
@Resolver()
export class SettlementResolver {
  @Authorized('finance', 'operator')
  @Query(() => [SettlementAgreement], {
    description:
      'Settlement agreements, newest terms first: a partner’s finance users see their own; the operator’s see all, or one partner’s.',
  })
  async settlementAgreements(
    @Ctx() ctx: GraphQLContext,
    @Arg('partnerId', () => ID, { nullable: true }) partnerId: string | null,
  ): Promise<SettlementAgreement[]> {
    return queryValue(await ctx.app.settlement.agreements(ctx.request, partnerId ?? null)).map(
      agreementObject,
    );
  }

  @Authorized('finance', 'operator')
  @Mutation(() => SetSettlementAgreementResult, {
    description: `Adds effective-dated terms for a partner and a currency it does not own (operator finance). ${errorsDoc(setAgreementErrors)}`,
  })
  setSettlementAgreement(
    @Arg('input') input: SetSettlementAgreementInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(async () => {
      const fee = input.operatorFeePerTransfer
        ? moneyFromInput(input.operatorFeePerTransfer, 'operatorFeePerTransfer')
        : null;
      if (fee && fee.currency !== input.settlementCurrency) {
        throw new InvalidInput(
          'operatorFeePerTransfer.currency',
          'must be the settlement currency',
        );
      }
      return ctx.app.settlement.setAgreement(ctx.request, {
        ...input,
        billingPercent: input.billingPercent ?? undefined,
        operatorFeePercent: input.operatorFeePercent ?? null,
        operatorFeePerTransferMinor: fee?.amountMinor ?? null,
      });
    }, agreementObject);
  }

  @Authorized('finance', 'operator')
  @Query(() => [SettlementPeriod], { description: 'Settlement periods, oldest first.' })
  async settlementPeriods(@Ctx() ctx: GraphQLContext): Promise<SettlementPeriod[]> {
    return queryValue(await ctx.app.settlement.periods(ctx.request)).map(periodObject);
  }

  @Authorized('finance', 'operator')
  @Mutation(() => OpenSettlementPeriodResult, {
    description: `Opens the period after the last one (operator finance). ${errorsDoc(openPeriodErrors)}`,
  })
  openSettlementPeriod(@Arg('input') input: OpenSettlementPeriodInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () =>
        ctx.app.settlement.openPeriod(ctx.request, {
          startsAt: input.startsAt ?? null,
          endsAt: input.endsAt,
        }),
      periodObject,
    );
  }

  @Authorized('finance', 'operator')
  @Mutation(() => CloseSettlementPeriodResult, {
    description: `Closes an ended period (operator finance): takes its transfers, derives their obligations, freezes it. Idempotent: closing a closed period returns it unchanged. ${errorsDoc(closePeriodErrors)}`,
  })
  closeSettlementPeriod(@Arg('periodId', () => ID) periodId: string, @Ctx() ctx: GraphQLContext) {
    return respond(() => ctx.app.settlement.closePeriod(ctx.request, periodId), periodObject);
  }

  @Authorized('finance', 'operator')
  @Query(() => PeriodSettlement, {
    description:
      'A closed period netted across the network (operator finance): gross matrix, bilateral nets, positions, payments.',
  })
  async periodSettlement(
    @Arg('periodId', () => ID) periodId: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PeriodSettlement> {
    return periodSettlementObject(
      queryValue(await ctx.app.settlement.periodSettlement(ctx.request, periodId)),
    );
  }

  @Authorized('finance', 'operator')
  @Query(() => Statement, {
    description:
      'A partner’s statement of a closed period. A partner’s finance users get their own; the operator’s name the partner.',
  })
  async statement(
    @Arg('periodId', () => ID) periodId: string,
    @Arg('partnerId', () => ID, { nullable: true }) partnerId: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Statement> {
    return statementObject(
      queryValue(await ctx.app.settlement.statement(ctx.request, periodId, partnerId ?? null)),
    );
  }

  @Authorized('finance', 'operator')
  @Query(() => CsvPage, {
    description:
      'A partner’s statement as CSV, a page of lines at a time: header on the first page, totals after the last.',
  })
  async statementCsv(
    @Arg('periodId', () => ID) periodId: string,
    @Arg('partnerId', () => ID, { nullable: true }) partnerId: string | null,
    @Arg('first', () => Int, { defaultValue: statementPageSizeDefault }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<CsvPage> {
    const page = queryValue(
      await ctx.app.settlement.statementCsvPage(
        ctx.request,
        periodId,
        partnerId ?? null,
        linesPageSize(first),
        after ?? null,
      ),
    );
    return Object.assign(new CsvPage(), {
      text: page.text,
      pageInfo: Object.assign(new PageInfo(), {
        endCursor: page.endCursor,
        hasNextPage: page.hasNextPage,
      }),
    });
  }

  @Authorized('finance', 'operator')
  @Query(() => String, {
    description: 'A netting table of a closed period as CSV (operator finance).',
  })
  async settlementCsv(
    @Arg('periodId', () => ID) periodId: string,
    @Arg('table', () => SettlementTable) table: SettlementTable,
    @Ctx() ctx: GraphQLContext,
  ): Promise<string> {
    return queryValue(await ctx.app.settlement.settlementCsv(ctx.request, periodId, table));
  }

  @Authorized('finance', 'operator')
  @Mutation(() => SubmitReconciliationResult, {
    description: `Matches a partner’s own records of a closed period against its statement, by transaction id and amount. ${errorsDoc(submitReconciliationErrors)}`,
  })
  submitReconciliation(@Arg('input') input: SubmitReconciliationInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () =>
        ctx.app.settlement.submitReconciliation(ctx.request, {
          periodId: input.periodId,
          partnerId: input.partnerId ?? null,
          records:
            input.records?.map((record) => ({
              reference: record.reference,
              amount: record.amount.amount,
              currency: record.amount.currency,
              counterpartyId: record.counterpartyId ?? null,
            })) ?? null,
          csv: input.csv ?? null,
          idempotencyKey: input.idempotencyKey ?? null,
        }),
      reconciliationObject,
    );
  }

  @Authorized('finance', 'operator')
  @Query(() => Reconciliation, {
    nullable: true,
    description: 'One reconciliation; null when not visible to the caller.',
  })
  async reconciliation(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Reconciliation | null> {
    const outcome = await ctx.app.settlement.reconciliation(ctx.request, id);
    return outcome instanceof Error ? null : reconciliationObject(outcome);
  }

  @Authorized('finance', 'operator')
  @Query(() => [Reconciliation], {
    description: 'Reconciliations newest first: a partner’s own, or any for the operator.',
  })
  async reconciliations(
    @Arg('periodId', () => ID, { nullable: true }) periodId: string | null,
    @Arg('partnerId', () => ID, { nullable: true }) partnerId: string | null,
    @Arg('first', () => Int, { defaultValue: pageSizeDefault }) first: number,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Reconciliation[]> {
    if (first < 1 || first > pageSizeMax) throw badInput(`first must be 1 to ${pageSizeMax}`);
    return queryValue(
      await ctx.app.settlement.reconciliations(
        ctx.request,
        { periodId: periodId ?? null, partnerId: partnerId ?? null },
        first,
      ),
    ).map(reconciliationObject);
  }

  @Authorized('finance', 'operator')
  @Mutation(() => ResolveReconciliationExceptionResult, {
    description: `Resolves a reconciliation exception with an adjustment (operator finance): a new \`adjust\` transfer referencing it, settled in the next period to close. Idempotent per exception. ${errorsDoc(resolveExceptionErrors)}`,
  })
  resolveReconciliationException(
    @Arg('input') input: ResolveReconciliationExceptionInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(async () => {
      const itemId = exceptionIdFromGlobal(input.exceptionId);
      if (itemId === undefined) throw new InvalidInput('exceptionId', 'looks like exc_42');
      return ctx.app.settlement.resolveException(ctx.request, {
        itemId,
        amountMinor: input.amount ? signedMinor(input.amount.amount, input.amount.currency) : null,
        amountCurrency: input.amount?.currency ?? null,
        counterpartyId: input.counterpartyId ?? null,
        note: input.note ?? '',
      });
    }, adjustmentObject);
  }
}

@Resolver(() => Statement)
export class StatementResolver {
  @FieldResolver(() => StatementLineConnection, {
    description: 'The lines, in transfer order; a positive amount means the partner receives.',
  })
  async lines(
    @Root() statement: Statement,
    @Arg('first', () => Int, { defaultValue: statementPageSizeDefault }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<StatementLineConnection> {
    const page = queryValue(
      await ctx.app.settlement.statementLines(
        ctx.request,
        statement.period.id,
        statement.partnerId,
        linesPageSize(first),
        after ?? null,
      ),
    );
    return Object.assign(new StatementLineConnection(), {
      nodes: page.items.map(statementLineObject),
      pageInfo: Object.assign(new PageInfo(), {
        endCursor: page.endCursor,
        hasNextPage: page.hasNextPage,
      }),
    });
  }
}

@Resolver(() => Reconciliation)
export class ReconciliationResolver {
  @FieldResolver(() => ReconciliationItemConnection, {
    description: 'Its exceptions (or the items of one status), in order.',
  })
  async items(
    @Root() reconciliation: Reconciliation,
    @Arg('status', () => ReconciliationItemStatus, { nullable: true })
    status: ReconciliationItemStatus | null,
    @Arg('first', () => Int, { defaultValue: pageSizeDefault }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ReconciliationItemConnection> {
    if (first < 1 || first > pageSizeMax) throw badInput(`first must be 1 to ${pageSizeMax}`);
    const afterId = after == null ? null : exceptionIdFromGlobal(after);
    if (afterId === undefined) throw badInput('after is not a cursor of this list');
    const page = queryValue(
      await ctx.app.settlement.reconciliationItems(
        ctx.request,
        reconciliation.id,
        status,
        first,
        afterId,
      ),
    );
    return Object.assign(new ReconciliationItemConnection(), {
      nodes: page.items.map(reconciliationItemObject),
      pageInfo: Object.assign(new PageInfo(), {
        endCursor: page.items.length ? `exc_${page.items.at(-1)!.id}` : null,
        hasNextPage: page.hasNextPage,
      }),
    });
  }
}

function linesPageSize(first: number): number {
  if (!Number.isInteger(first) || first < 1 || first > statementPageSizeMax) {
    throw badInput(`first must be 1 to ${statementPageSizeMax}`);
  }
  return first;
}

function signedMinor(amount: string, currency: string): bigint {
  const negative = amount.trim().startsWith('-');
  const value = moneyFromInput({ amount: amount.trim().replace(/^-/, ''), currency }, 'amount');
  return negative ? -value.amountMinor : value.amountMinor;
}
