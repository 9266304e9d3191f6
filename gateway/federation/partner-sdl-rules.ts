import { Kind, parse, visit } from 'graphql';

/**
 * What a partner's subgraph may use of Federation. Composition alone would let a partner take
 * over coalition fields (`@override(from: "coalition")`) or have the gateway fetch coalition
 * data for it with the caller's rights (`@requires` on `Member.email`); partners only add their
 * own types and fields, key entities, and share value types.
 */
const allowedDirectives = new Set([
  'key',
  'shareable',
  'inaccessible',
  'tag',
  'link',
  'deprecated',
  'specifiedBy',
]);

/** Violations of the rules, as messages; empty when the SDL is acceptable. */
export function partnerSdlViolations(partnerId: string, sdl: string): string[] {
  let document: ReturnType<typeof parse>;
  try {
    document = parse(sdl);
  } catch (error) {
    return [`[${partnerId}] the SDL does not parse: ${(error as Error).message}`];
  }
  const violations = new Set<string>();
  visit(document, {
    [Kind.DIRECTIVE](node) {
      const name = node.name.value.replace(/^federation__/, '');
      if (!allowedDirectives.has(name)) {
        violations.add(`[${partnerId}] @${node.name.value} is not allowed in partner subgraphs`);
      }
      if (name === 'link') {
        // An import renamed with `as` could smuggle a forbidden directive under another name.
        visit(node, {
          [Kind.OBJECT_FIELD](field) {
            if (field.name.value === 'as') {
              violations.add(`[${partnerId}] @link imports must not be renamed`);
            }
          },
        });
      }
    },
  });
  return [...violations];
}
