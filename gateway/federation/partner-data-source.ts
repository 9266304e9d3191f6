import { type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { GraphQLContext } from '../graphql/context';
import { type AssertionSigner, assertionHeader } from './assertions';
import { createHttpFetcher } from './http-fetcher';

/** How long the gateway waits for a partner subgraph before answering without its data. */
export const subgraphTimeoutMs = 2_000;
/** The error code of a partner's part of a query that could not be fetched. */
export const subgraphUnavailableCode = 'SUBGRAPH_UNAVAILABLE';

/**
 * A partner's subgraph over HTTP. Every request carries a fresh assertion of who is calling,
 * and gives up after `timeoutMs`: a partner that is down or slow costs its own fields only. The
 * rest of the query is answered, with a SUBGRAPH_UNAVAILABLE error naming the partner.
 */
export class PartnerDataSource extends RemoteGraphQLDataSource<GraphQLContext> {
  constructor(
    private readonly partnerId: string,
    url: string,
    private readonly signer: AssertionSigner,
    private readonly timeoutMs: number,
  ) {
    super({
      url,
      fetcher: createHttpFetcher(timeoutMs)
        .fetcher as unknown as RemoteGraphQLDataSource['fetcher'],
    });
  }

  override async willSendRequest({
    request,
    context,
  }: GraphQLDataSourceProcessOptions<GraphQLContext>): Promise<void> {
    request.http?.headers.set(
      assertionHeader,
      await this.signer.sign(context?.caller, this.partnerId),
    );
  }

  override async process(
    options: GraphQLDataSourceProcessOptions<GraphQLContext>,
  ): Promise<GatewayGraphQLResponse> {
    try {
      return await super.process(options);
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      const reason = timedOut
        ? `did not answer within ${this.timeoutMs} ms`
        : `is unavailable (${(error as Error).message})`;
      return {
        errors: [
          {
            message: `The service of partner ${this.partnerId} ${reason}; its fields are null.`,
            extensions: { code: subgraphUnavailableCode, partnerId: this.partnerId },
          },
        ],
      };
    }
  }
}
