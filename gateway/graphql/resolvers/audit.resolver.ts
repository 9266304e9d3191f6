import { Arg, Authorized, Ctx, Int, Query, Resolver } from 'type-graphql';
import { AuditActor, AuditEntry, AuditLogPage } from '../../../schema/audit';
import { PageInfo } from '../../../schema/common';
import { type AuditEntry as AuditRecord, auditPageSizeDefault } from '../../audit/audit-log';
import type { GraphQLContext } from '../context';
import { queryValue } from '../settlement-mappers';

/** The audit log of configuration changes: the operator and finance, a partner its own. */
@Resolver()
export class AuditResolver {
  @Authorized('operator', 'finance', 'partner')
  @Query(() => AuditLogPage, {
    description:
      'Configuration changes newest first (rates, agreements, partner services and keys, partners, currencies, terms): who, when, what, before and after. The operator and the operator’s finance users see all; a partner and its finance users see the entries about their own configuration.',
  })
  async auditLog(
    @Arg('entityType', () => String, { nullable: true, description: 'Only this kind of entity.' })
    entityType: string | null,
    @Arg('entityId', () => String, { nullable: true, description: 'Only this entity.' })
    entityId: string | null,
    @Arg('actorId', () => String, { nullable: true, description: 'Only changes by this caller.' })
    actorId: string | null,
    @Arg('from', () => Date, { nullable: true, description: 'Changes at or after this time.' })
    from: Date | null,
    @Arg('to', () => Date, { nullable: true, description: 'Changes before this time.' })
    to: Date | null,
    @Arg('first', () => Int, {
      defaultValue: auditPageSizeDefault,
      description: 'Page size (at most 100).',
    })
    first: number,
    @Arg('after', () => String, { nullable: true, description: 'The previous page’s endCursor.' })
    after: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<AuditLogPage> {
    const page = queryValue(
      await ctx.app.audit.entries(ctx.request, {
        entity: entityType,
        entityId,
        actorId,
        from,
        to,
        first,
        after,
      }),
    );
    return Object.assign(new AuditLogPage(), {
      entries: page.entries.map(auditEntryObject),
      pageInfo: Object.assign(new PageInfo(), {
        endCursor: page.endCursor,
        hasNextPage: page.hasNextPage,
      }),
    });
  }
}

function auditEntryObject(entry: AuditRecord): AuditEntry {
  return Object.assign(new AuditEntry(), {
    id: entry.id.toString(),
    occurredAt: entry.occurredAt,
    actor: Object.assign(new AuditActor(), entry.actor),
    entityType: entry.entity,
    entityId: entry.entityId,
    action: entry.action,
    partnerIds: entry.partnerIds,
    before: entry.before === null ? null : JSON.stringify(entry.before),
    after: entry.after === null ? null : JSON.stringify(entry.after),
    requestId: entry.requestId,
  });
}
