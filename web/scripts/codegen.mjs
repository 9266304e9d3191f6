#!/usr/bin/env node
/**
 * Typed documents for the web apps, from the composed graph (schema/supergraph.graphql: the
 * wallet asks partners' rewards too) and the `.graphql` files under web/src.
 *
 * Writes web/src/generated/graphql.ts (per operation: its result and variables types and a
 * typed document carrying its hash) and web/src/generated/trusted-documents.json (hash -> text,
 * the gateway's registry of trusted documents). Every operation is validated against the
 * schema first; an invalid one fails the build with graphql-js's message.
 *
 * The graphql-codegen packages would do the same with some forty more dependencies; what the
 * apps need (types of selections, __typename, enums, inputs) fits in this file.
 *
 * `node web/scripts/codegen.mjs --check` fails when the committed files are stale.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildSchema,
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  getNamedType,
  isAbstractType,
  Kind,
  parse,
  print,
  typeFromAST,
  validate,
  visit,
} from 'graphql';

const webDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const rootDir = join(webDir, '..');
const generatedDir = join(webDir, 'src', 'generated');
const schema = buildSchema(readFileSync(join(rootDir, 'schema', 'supergraph.graphql'), 'utf8'));

/** Scalars as they travel in JSON: 64-bit integers, dates and money amounts are strings. */
const scalarTypes = { Int: 'number', Float: 'number', Boolean: 'boolean' };

function graphqlFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : graphqlFiles(path);
    return entry.name.endsWith('.graphql') ? [path] : [];
  });
}

/** Adds __typename to every selection set but the operation's own, as urql's cache expects. */
function withTypenames(document) {
  return visit(document, {
    SelectionSet(node, _key, parent) {
      if (parent?.kind === Kind.OPERATION_DEFINITION) return undefined;
      if (node.selections.some((s) => s.kind === Kind.FIELD && s.name.value === '__typename')) {
        return undefined;
      }
      const typename = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };
      return { ...node, selections: [typename, ...node.selections] };
    },
  });
}

const operations = [];
const fragments = new Map();
for (const file of graphqlFiles(join(webDir, 'src')).sort()) {
  const document = withTypenames(parse(readFileSync(file, 'utf8')));
  for (const definition of document.definitions) {
    const where = relative(rootDir, file);
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      fragments.set(definition.name.value, definition);
    } else if (definition.kind === Kind.OPERATION_DEFINITION) {
      if (!definition.name) throw new Error(`${where}: every operation needs a name`);
      operations.push({ definition, where });
    }
  }
}

function fragmentsUsedBy(node, found = new Map()) {
  visit(node, {
    FragmentSpread(spread) {
      const name = spread.name.value;
      const fragment = fragments.get(name);
      if (!fragment) throw new Error(`unknown fragment ${name}`);
      if (!found.has(name)) {
        found.set(name, fragment);
        fragmentsUsedBy(fragment, found);
      }
    },
  });
  return found;
}

// ---- types of selections ----

const enumsUsed = new Set();
const inputsUsed = new Set();

function scalarType(type) {
  if (type instanceof GraphQLEnumType) {
    enumsUsed.add(type.name);
    return type.name;
  }
  return scalarTypes[type.name] ?? 'string';
}

function wrap(type, inner) {
  if (type instanceof GraphQLNonNull) return wrap(type.ofType, inner).replace(/ \| null$/, '');
  if (type instanceof GraphQLList) return `Array<${wrap(type.ofType, inner)}> | null`;
  return `${inner} | null`;
}

/** The fields selected on a concrete object type, following fragments that apply to it. */
function fieldsFor(objectType, selectionSet, into = new Map()) {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const key = selection.alias?.value ?? selection.name.value;
      const previous = into.get(key);
      if (previous?.selectionSet && selection.selectionSet) {
        previous.selectionSet = {
          ...previous.selectionSet,
          selections: [...previous.selectionSet.selections, ...selection.selectionSet.selections],
        };
      } else {
        into.set(key, { ...selection });
      }
      continue;
    }
    const condition =
      selection.kind === Kind.FRAGMENT_SPREAD
        ? fragments.get(selection.name.value).typeCondition
        : selection.typeCondition;
    const conditionType = condition ? schema.getType(condition.name.value) : objectType;
    const applies =
      conditionType === objectType ||
      (isAbstractType(conditionType) && schema.isSubType(conditionType, objectType));
    if (!applies) continue;
    const set =
      selection.kind === Kind.FRAGMENT_SPREAD
        ? fragments.get(selection.name.value).selectionSet
        : selection.selectionSet;
    fieldsFor(objectType, set, into);
  }
  return into;
}

function objectShape(objectType, selectionSet, indent) {
  const pad = '  '.repeat(indent + 1);
  const lines = [];
  for (const [key, field] of fieldsFor(objectType, selectionSet)) {
    const name = field.name.value;
    if (name === '__typename') {
      lines.push(`${pad}__typename: '${objectType.name}';`);
      continue;
    }
    const definition = objectType.getFields()[name];
    if (!definition) throw new Error(`${objectType.name} has no field ${name}`);
    lines.push(`${pad}${key}: ${typeOfOutput(definition.type, field.selectionSet, indent + 1)};`);
  }
  return `{\n${lines.join('\n')}\n${'  '.repeat(indent)}}`;
}

function typeOfOutput(type, selectionSet, indent) {
  const named = getNamedType(type);
  let inner;
  if (named instanceof GraphQLScalarType || named instanceof GraphQLEnumType) {
    inner = scalarType(named);
  } else if (named instanceof GraphQLObjectType) {
    inner = objectShape(named, selectionSet, indent);
  } else {
    inner = schema
      .getPossibleTypes(named)
      .map((possible) => objectShape(possible, selectionSet, indent))
      .join(' | ');
    inner = `(${inner})`;
  }
  return wrap(type, inner);
}

function typeOfInput(type) {
  const named = getNamedType(type);
  let inner;
  if (named instanceof GraphQLInputObjectType) {
    if (!inputsUsed.has(named.name)) {
      inputsUsed.add(named.name);
      for (const field of Object.values(named.getFields())) typeOfInput(field.type);
    }
    inner = named.name;
  } else {
    inner = scalarType(named);
  }
  return wrap(type, inner);
}

function inputDeclaration(name) {
  const type = schema.getType(name);
  const fields = Object.values(type.getFields()).map((field) => {
    const optional = !(field.type instanceof GraphQLNonNull) || field.defaultValue !== undefined;
    return `  ${field.name}${optional ? '?' : ''}: ${typeOfInput(field.type)};`;
  });
  return `export interface ${name} {\n${fields.join('\n')}\n}`;
}

// ---- output ----

const manifest = {};
const declarations = [];
for (const { definition, where } of operations) {
  const used = fragmentsUsedBy(definition);
  const document = { kind: Kind.DOCUMENT, definitions: [definition, ...used.values()] };
  const errors = validate(schema, document);
  if (errors.length > 0) {
    throw new Error(`${where}: ${errors.map((error) => error.message).join('; ')}`);
  }
  const text = print(document);
  const hash = createHash('sha256').update(text).digest('hex');
  manifest[hash] = text;
  const name = definition.name.value;
  const suffix = definition.operation === 'mutation' ? 'Mutation' : 'Query';
  const root =
    definition.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  const variables = (definition.variableDefinitions ?? []).map((variable) => {
    const type = typeFromAST(schema, variable.type);
    const optional = !(type instanceof GraphQLNonNull) || variable.defaultValue !== undefined;
    return `  ${variable.variable.name.value}${optional ? '?' : ''}: ${typeOfInput(type)};`;
  });
  declarations.push(
    `/** ${where} */`,
    `export type ${name}${suffix} = ${objectShape(root, definition.selectionSet, 0)};`,
    `export type ${name}${suffix}Variables = {${variables.length ? `\n${variables.join('\n')}\n` : ''}};`,
    `export const ${name}Document = persisted<${name}${suffix}, ${name}${suffix}Variables>(\n  ${JSON.stringify(text)},\n  '${hash}',\n);`,
    '',
  );
}

const enumDeclarations = [...enumsUsed].sort().map((name) => {
  const values = schema.getType(name).getValues();
  return `export type ${name} = ${values.map((value) => `'${value.name}'`).join(' | ')};`;
});
const inputDeclarations = [...inputsUsed].sort().map(inputDeclaration);

const source = `// Generated by web/scripts/codegen.mjs from schema/supergraph.graphql and web/src/**/*.graphql.
// Do not edit: run \`npm run web:codegen\`.
import { gql, type TypedDocumentNode } from 'urql';

/** A typed document with the hash it is registered under (trusted-documents.json). */
export type PersistedDocument<Result, Variables> = TypedDocumentNode<Result, Variables> & {
  __meta__: { hash: string };
};

function persisted<Result, Variables>(text: string, hash: string) {
  const document = gql<Result, Variables & Record<string, unknown>>(text);
  return Object.assign(document, { __meta__: { hash } }) as unknown as PersistedDocument<
    Result,
    Variables
  >;
}

${enumDeclarations.join('\n')}

${inputDeclarations.join('\n\n')}

${declarations.join('\n')}`;

const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
const outputs = [
  [join(generatedDir, 'graphql.ts'), source],
  [join(generatedDir, 'trusted-documents.json'), manifestText],
];
if (process.argv.includes('--check')) {
  const stale = outputs.filter(([path, text]) => {
    try {
      return readFileSync(path, 'utf8') !== text;
    } catch {
      return true;
    }
  });
  if (stale.length > 0) {
    console.error(
      `stale: ${stale.map(([path]) => relative(rootDir, path)).join(', ')}; run npm run web:codegen`,
    );
    process.exit(1);
  }
} else {
  for (const [path, text] of outputs) writeFileSync(path, text);
  console.log(
    `wrote ${operations.length} operations (${Object.keys(manifest).length} trusted documents)`,
  );
}
