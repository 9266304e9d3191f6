import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { type AnalyticsTable, analyticsCsv, analyticsTables } from '../analytics/analytics-csv';
import type { App } from '../app';
import type { Caller } from '../shared/context';
import { DomainError, Forbidden } from '../shared/errors';
import { sendJson } from './send-json';

/**
 * `GET /analytics/export.csv?table=daily&from=2026-11-01&to=2026-11-30[&partnerId=][&currency=]`:
 * one table of an analytics report as a CSV download (Analytics.report, analyticsCsv), written
 * line by line and waiting for the client to take each chunk (as the member export does).
 * Partners, their finance users and the operator, each limited as the `analytics` query is.
 */
export const analyticsExportPath = '/analytics/export.csv';

export async function sendAnalyticsExport(
  app: App,
  caller: Caller,
  requestId: string,
  search: string,
  response: ServerResponse,
): Promise<void> {
  if (caller.kind === 'anonymous') {
    sendJson(response, 401, { error: 'a bearer token is required', code: 'UNAUTHENTICATED' });
    return;
  }
  const parameters = new URLSearchParams(search);
  const table = (parameters.get('table') ?? 'daily') as AnalyticsTable;
  if (!analyticsTables.includes(table)) {
    sendJson(response, 400, {
      error: `table must be one of ${analyticsTables.join(', ')}`,
      code: 'INVALID_INPUT',
    });
    return;
  }
  const context = { caller, requestId, em: app.orm.em.fork() };
  const report = await app.analytics.report(context, {
    partnerId: parameters.get('partnerId'),
    currency: parameters.get('currency'),
    from: parameters.get('from') ?? '',
    to: parameters.get('to') ?? '',
  });
  if (report instanceof Forbidden) {
    sendJson(response, 403, { error: report.message, code: report.code });
    return;
  }
  if (report instanceof DomainError) {
    sendJson(response, report.code === 'NOT_FOUND' ? 404 : 400, {
      error: report.message,
      code: report.code,
    });
    return;
  }
  response.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8',
    'cache-control': 'no-store',
    'content-disposition': `attachment; filename="analytics-${table}-${report.from}-${report.to}.csv"`,
  });
  for (const line of analyticsCsv(report, table)) {
    if (!response.write(line)) await once(response, 'drain');
  }
  response.end();
}
