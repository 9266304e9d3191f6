import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { App } from '../app';
import type { Caller } from '../shared/context';
import { DomainError, Forbidden } from '../shared/errors';
import { sendJson } from './send-json';

/**
 * `GET /members/export`: everything about a member as one JSON document, streamed a page at a
 * time (MemberDataRights.exportMember). A member gets their own; the operator names the member
 * with `?memberId=mbr_...`. Partners, finance users and anonymous callers are refused.
 */
export const memberExportPath = '/members/export';

export async function sendMemberExport(
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
  const memberId = new URLSearchParams(search).get('memberId') ?? undefined;
  const context = { caller, requestId, em: app.orm.em.fork() };
  const outcome = await app.dataRights.exportMember(context, memberId);
  if (outcome instanceof Forbidden) {
    sendJson(response, 403, { error: outcome.message, code: outcome.code });
    return;
  }
  if (outcome instanceof DomainError) {
    sendJson(response, outcome.code === 'NOT_FOUND' ? 404 : 400, {
      error: outcome.message,
      code: outcome.code,
    });
    return;
  }
  response.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-disposition': 'attachment; filename="member-export.json"',
  });
  for await (const chunk of outcome) {
    // Wait for the client to take what was sent before reading the next page.
    if (!response.write(chunk)) await once(response, 'drain');
  }
  response.end();
}
