// Typed documents for the web apps, from the supergraph and the .graphql operations in web/src.
// A small generator rather than graphql-codegen: the apps need result and variable types for a
// few dozen operations, and this stays one file with graphql-js as its only dependency.
// Writes web/src/generated/graphql.ts and trusted-documents.json (hash -> text, which the
// gateway registers). `--check` fails when the committed files are stale.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  buildSchema,
  getNamedType,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  parse,
  print,
  TypeInfo,
  typeFromAST,
  validate,
  visit,
  visitWithTypeInfo,
} from 'graphql';

const root = new URL('../..', import.meta.url).pathname;
const webSource = join(root, 'web', 'src');
const outDir = join(webSource, 'generated');
const schema = buildSchema(readFileSync(join(root, 'schema', 'supergraph.graphql'), 'utf8'));
const scalars = {
  Int64: 'string',
  DateTimeISO: 'string',
  ID: 'string',
  String: 'string',
  Int: 'number',
  Float: 'number',
  Boolean: 'boolean',
};

function graphqlFiles(folder) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : graphqlFiles(path);
    return entry.name.endsWith('.graphql') ? [path] : [];
  });
}

/** Every object selection also asks __typename, so unions can be told apart. */
function withTypenames(document) {
  const typeInfo = new TypeInfo(schema);
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      SelectionSet(node, _key, parent) {
        if (parent?.kind === Kind.OPERATION_DEFINITION) return undefined;
        if (node.selections.some((s) => s.kind === Kind.FIELD && s.name.value === '__typename'))
          return undefined;
        return {
          ...node,
          selections: [
            { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } },
            ...node.selections,
          ],
        };
      },
    }),
  );
}

function tsScalar(type) {
  if (isEnumType(type))
    return type
      .getValues()
      .map((value) => JSON.stringify(value.name))
      .join(' | ');
  return scalars[type.name] ?? 'unknown';
}

function wrap(type, inner) {
  if (isNonNullType(type)) return wrapNonNull(type.ofType, inner);
  return `${wrapNonNull(type, inner)} | null`;
}
function wrapNonNull(type, inner) {
  if (isListType(type)) return `Array<${wrap(type.ofType, inner)}>`;
  return inner;
}

function selectionType(parentType, selectionSet, indent) {
  if (isAbstractType(parentType)) {
    return schema
      .getPossibleTypes(parentType)
      .map((possible) => objectType(possible, selectionSet, indent))
      .join(' | ');
  }
  return objectType(parentType, selectionSet, indent);
}

function appliesTo(objectTypeDef, condition) {
  if (!condition) return true;
  const name = condition.name.value;
  return name === objectTypeDef.name || objectTypeDef.getInterfaces().some((i) => i.name === name);
}

function fieldsFor(objectTypeDef, selectionSet) {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection];
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      return appliesTo(objectTypeDef, selection.typeCondition)
        ? fieldsFor(objectTypeDef, selection.selectionSet)
        : [];
    }
    throw new Error('named fragments are not supported: use inline fragments');
  });
}

function objectType(objectTypeDef, selectionSet, indent) {
  const pad = '  '.repeat(indent + 1);
  const seen = new Map();
  for (const field of fieldsFor(objectTypeDef, selectionSet)) {
    const key = field.alias?.value ?? field.name.value;
    if (field.name.value === '__typename') {
      seen.set(key, `${JSON.stringify(objectTypeDef.name)}`);
      continue;
    }
    const definition = objectTypeDef.getFields()[field.name.value];
    const named = getNamedType(definition.type);
    const inner = field.selectionSet
      ? selectionType(named, field.selectionSet, indent + 1)
      : tsScalar(named);
    seen.set(key, wrap(definition.type, field.selectionSet ? `(${inner})` : inner));
  }
  const lines = [...seen].map(([key, type]) => `${pad}${key}: ${type};`);
  return `{\n${lines.join('\n')}\n${'  '.repeat(indent)}}`;
}

function inputType(type, indent) {
  const named = getNamedType(type);
  let inner;
  if (isInputObjectType(named)) {
    const pad = '  '.repeat(indent + 1);
    const fields = Object.values(named.getFields()).map((field) => {
      const optional = !isNonNullType(field.type) ? '?' : '';
      return `${pad}${field.name}${optional}: ${inputType(field.type, indent + 1)};`;
    });
    inner = `{\n${fields.join('\n')}\n${'  '.repeat(indent)}}`;
  } else if (isScalarType(named) || isEnumType(named)) {
    inner = tsScalar(named);
  }
  return wrap(type, inner);
}

const operations = [];
for (const file of graphqlFiles(webSource).sort()) {
  const document = parse(readFileSync(file, 'utf8'));
  const errors = validate(schema, document);
  if (errors.length > 0) {
    throw new Error(`${relative(root, file)}: ${errors.map((e) => e.message).join('; ')}`);
  }
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION || !definition.name) {
      throw new Error(`${relative(root, file)}: every definition must be a named operation`);
    }
    operations.push(withTypenames({ kind: Kind.DOCUMENT, definitions: [definition] }));
  }
}

const manifest = {};
const out = [
  '// Generated by web/scripts/codegen.mjs from schema/supergraph.graphql and web/src/**/*.graphql. Do not edit.',
  "import type { TypedDocumentNode } from '@urql/core';",
  '',
];
const hashes = {};
for (const document of operations) {
  const operation = document.definitions[0];
  const name = operation.name.value;
  const suffix = operation.operation === 'query' ? 'Query' : 'Mutation';
  const text = print(document);
  const hash = createHash('sha256').update(text).digest('hex');
  manifest[hash] = text;
  hashes[name] = hash;
  const rootType =
    operation.operation === 'query' ? schema.getQueryType() : schema.getMutationType();
  const variables = (operation.variableDefinitions ?? []).map((variable) => {
    const type = typeFromAST(schema, variable.type);
    const optional = !isNonNullType(type) || variable.defaultValue ? '?' : '';
    return `  ${variable.variable.name.value}${optional}: ${inputType(type, 1)};`;
  });
  const stripped = JSON.parse(
    JSON.stringify(document, (key, value) => (key === 'loc' ? undefined : value)),
  );
  out.push(
    `export type ${name}${suffix} = ${objectType(rootType, operation.selectionSet, 0).replace(/\n {2}__typename: [^;]+;/, '')};`,
    `export type ${name}${suffix}Variables = {${variables.length ? `\n${variables.join('\n')}\n` : ''}};`,
    `export const ${name}Document = ${JSON.stringify(stripped)} as unknown as TypedDocumentNode<${name}${suffix}, ${name}${suffix}Variables>;`,
    '',
  );
}
out.push(`/** Each operation's trusted-document hash (sha256 of its registered text). */`);
out.push(
  `export const documentHashes: Record<string, string> = ${JSON.stringify(hashes, null, 2)};`,
  '',
);

const files = {
  [join(outDir, 'graphql.ts')]: out.join('\n'),
  [join(outDir, 'trusted-documents.json')]: `${JSON.stringify(manifest, null, 2)}\n`,
};
const check = process.argv.includes('--check');
let stale = false;
for (const [path, text] of Object.entries(files)) {
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {}
  if (current === text) continue;
  stale = true;
  if (!check) writeFileSync(path, text);
}
if (check && stale) {
  console.error('web/src/generated is stale: run `npm run web:codegen`');
  process.exit(1);
}
console.log(
  `${operations.length} operations${check ? ' checked' : ' written to web/src/generated'}`,
);
