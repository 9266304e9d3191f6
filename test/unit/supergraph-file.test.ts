import { readFile } from 'node:fs/promises';
import { printDemoSupergraph, supergraphFile } from '../../gateway/federation/supergraph-file';

describe('schema/supergraph.graphql', () => {
  it('matches the demo graph composed from the code (run `npm run schema` when this fails)', async () => {
    const committed = await readFile(supergraphFile, 'utf8');
    const composed = await printDemoSupergraph();
    if (committed !== composed) {
      throw new Error(
        'schema/supergraph.graphql is stale: run `npm run schema` and commit schema/supergraph.graphql',
      );
    }
  });

  it('joins the coalition and the three demo partner services', async () => {
    const text = await printDemoSupergraph();
    const graphs = [...text.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]+)"\)/g)].map(
      (match) => `${match[1]} ${match[2]}`,
    );
    expect(graphs).toEqual([
      'coalition local://coalition',
      'ptr_freshmart http://127.0.0.1:4103/graphql',
      'ptr_nordic http://127.0.0.1:4102/graphql',
      'ptr_skyair http://127.0.0.1:4101/graphql',
    ]);
  });
});
