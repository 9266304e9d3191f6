import { readFile } from 'node:fs/promises';
import { isIntrospectionType, isObjectType, isSpecifiedScalarType } from 'graphql';
import { printDemoSupergraph, supergraphFile } from '../../gateway/federation/supergraph-file';
import { demoPartnerServices } from '../../partners/demo';

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

describe('the demo partner services’ schemas', () => {
  const federationTypes = new Set([
    '_Any',
    '_Entity',
    '_Service',
    'FieldSet',
    'link__Import',
    'link__Purpose',
    'federation__FieldSet',
    'federation__Scope',
    'federation__Policy',
    'federation__ContextFieldValue',
  ]);

  it('document every type and every operation', async () => {
    const undocumented: string[] = [];
    for (const partner of demoPartnerServices) {
      const { schema } = (await partner.build()).subgraph;
      const roots = [schema.getQueryType(), schema.getMutationType()];
      for (const type of Object.values(schema.getTypeMap())) {
        if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
        if (federationTypes.has(type.name) || roots.includes(type as never)) continue;
        if (!type.description) undocumented.push(`${partner.partnerId} ${type.name}`);
      }
      for (const root of roots) {
        if (!isObjectType(root)) continue;
        for (const field of Object.values(root.getFields())) {
          if (field.name.startsWith('_')) continue;
          if (!field.description)
            undocumented.push(`${partner.partnerId} ${root.name}.${field.name}`);
        }
      }
    }
    expect(undocumented).toEqual([]);
  });
});
