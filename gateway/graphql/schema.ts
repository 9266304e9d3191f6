import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { authChecker } from './auth-checker';
import { MemberResolver } from './resolvers/members.resolver';
import { CurrencyResolver, ProgramResolver } from './resolvers/programs.resolver';
import { PurchaseResolver } from './resolvers/purchases.resolver';
import {
  ReconciliationResolver,
  SettlementResolver,
  StatementResolver,
} from './resolvers/settlement.resolver';
import { TransferResolver } from './resolvers/transfers.resolver';
import { ViewerResolver } from './resolvers/viewer.resolver';
import { WalletResolver } from './resolvers/wallet.resolver';

export const resolvers = [
  ViewerResolver,
  ProgramResolver,
  CurrencyResolver,
  MemberResolver,
  WalletResolver,
  PurchaseResolver,
  TransferResolver,
  SettlementResolver,
  StatementResolver,
  ReconciliationResolver,
] as const;

/** The coalition's own graph, built from the type-graphql classes in schema/. */
export function buildCoalitionSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    authChecker,
    authMode: 'error',
    // Inputs are checked by the services, which answer with typed errors.
    validate: false,
    emitSchemaFile: false,
  });
}
