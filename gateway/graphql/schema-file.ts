import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { projectRoot } from '../config';
import { buildCoalitionSchema } from './schema';

/** The committed contract: schema/schema.graphql, printed sorted so diffs show real changes. */
export const schemaFile = join(projectRoot, 'schema', 'schema.graphql');

export async function printCoalitionSchema(): Promise<string> {
  const schema = await buildCoalitionSchema();
  return `# Generated from the type-graphql classes in schema/ by \`npm run schema\`. Do not edit.\n\n${printSchema(lexicographicSortSchema(schema))}\n`;
}

/** `npm run schema` writes the file; a test fails when it is stale. */
if (require.main === module) {
  printCoalitionSchema()
    .then((text) => writeFile(schemaFile, text))
    .then(() => console.log(`wrote ${schemaFile}`))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
