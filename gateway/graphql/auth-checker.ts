import type { AuthChecker } from 'type-graphql';
import type { CallerKind } from '../shared/context';
import type { GraphQLContext } from './context';
import { forbidden, unauthenticated } from './error-results';

/**
 * `@Authorized('partner', 'operator')` on a field lets only those kinds of caller in. An
 * anonymous caller gets UNAUTHENTICATED, a token of the wrong kind gets FORBIDDEN. Which
 * *records* a caller may see (its own members, its own transfers) is checked by the services.
 */
export const authChecker: AuthChecker<GraphQLContext, CallerKind> = ({ context }, roles) => {
  const kind = context.caller.kind;
  if (kind === 'anonymous') throw unauthenticated('A bearer token is required');
  if (roles.length === 0 || roles.includes(kind)) return true;
  throw forbidden(`This field is for ${roles.join(' or ')} callers`);
};
