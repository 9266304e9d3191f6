import { parse } from 'graphql';

/** One subgraph of the supergraph: its name (a partner id, or `coalition`), URL and SDL. */
export interface SubgraphDefinition {
  name: string;
  url: string;
  sdl: string;
}

/** The coalition's own graph, served in-process (the URL is never dialled). */
export const coalitionSubgraphName = 'coalition';
export const coalitionSubgraphUrl = 'local://coalition';

export type CompositionOutcome = { supergraphSdl: string } | { errors: string[] };

/** Subgraphs in composition's order (by name): the same set always gives the same input. */
export function sortedByName(subgraphs: readonly SubgraphDefinition[]): SubgraphDefinition[] {
  return [...subgraphs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Composes subgraphs into a supergraph in-process with @apollo/composition; on failure returns
 * composition's own messages (`[ptr_acme] Field "Member.id" ...`), so an operator sees what to fix.
 * Subgraphs are sorted by name so the same set always composes to the same text.
 */
export function composeSupergraph(subgraphs: readonly SubgraphDefinition[]): CompositionOutcome {
  const sorted = sortedByName(subgraphs);
  const parsed = [];
  for (const subgraph of sorted) {
    try {
      parsed.push({ name: subgraph.name, url: subgraph.url, typeDefs: parse(subgraph.sdl) });
    } catch (error) {
      return { errors: [`[${subgraph.name}] the SDL does not parse: ${(error as Error).message}`] };
    }
  }
  // Required here: a gateway that reads its supergraph from the composition cache never loads
  // the composer (and Apollo's federation internals with it).
  const { composeServices }: typeof import('@apollo/composition') = require('@apollo/composition');
  const result = composeServices(parsed);
  if (result.errors) return { errors: result.errors.map((error) => error.message) };
  return { supergraphSdl: result.supergraphSdl };
}
