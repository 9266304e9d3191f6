import { readFile } from 'node:fs/promises';
import { isIntrospectionType, isObjectType, isSpecifiedScalarType } from 'graphql';
import { buildCoalitionSchema } from '../../gateway/graphql/schema';
import { printCoalitionSchema, schemaFile } from '../../gateway/graphql/schema-file';

describe('schema/schema.graphql', () => {
  it('matches the schema built from the code (run `npm run schema` when this fails)', async () => {
    const committed = await readFile(schemaFile, 'utf8');
    expect(committed).toBe(await printCoalitionSchema());
  });

  it('documents every public type and every operation', async () => {
    const schema = await buildCoalitionSchema();
    const roots = [schema.getQueryType(), schema.getMutationType()].filter(
      (type) => type !== null && type !== undefined,
    );
    const undocumentedTypes = Object.values(schema.getTypeMap())
      .filter((type) => !isIntrospectionType(type) && !isSpecifiedScalarType(type))
      .filter((type) => !roots.includes(type as never) && !type.description)
      .map((type) => type.name);
    const undocumentedOperations = roots.flatMap((root) =>
      isObjectType(root)
        ? Object.values(root.getFields())
            .filter((field) => !field.description)
            .map((field) => `${root.name}.${field.name}`)
        : [],
    );
    expect(undocumentedTypes).toEqual([]);
    expect(undocumentedOperations).toEqual([]);
  });
});
