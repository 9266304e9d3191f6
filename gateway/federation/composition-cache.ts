import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, print } from 'graphql';
import {
  type CompositionOutcome,
  composeSupergraph,
  type SubgraphDefinition,
  sortedByName,
} from './composition';

/**
 * Bump when the composed text could differ for the same input (a composition upgrade). The
 * suffix names the cache's own format: texts kept with placeholder URLs.
 */
const compositionVersion = `apollo-composition-${readComposerVersion()}/url-placeholders`;
const memoryEntries = 16;

/**
 * Composition is a pure function of the subgraphs (names, URLs, SDL), and it is most of a
 * gateway's start: about 0.5-1 s of CPU for the coalition's graph, again in each
 * GATEWAY_WORKERS process, each test gateway and each restart. This remembers successful
 * compositions by the SHA-256 of their input and the composer's version: in memory, and, given
 * a folder (`<COALITION_DATA_DIR>/cache/supergraphs`), on disk, so the next process that composes
 * the same graph reads the text instead. A file is written whole under a temporary name and
 * renamed, so a reader sees all of it or none; a file whose first line does not name its key is
 * ignored; a folder that cannot be written to costs only the cache. Failed compositions are not
 * remembered: their messages are cheap to recompute and should reflect the running composer.
 *
 * A URL only labels its subgraph in the composed text (`@join__graph(name: ..., url: ...)`), so
 * the key leaves URLs out: the text is composed and kept with placeholder URLs, and the real
 * ones are put in on the way out. A partner service that moves (or a test's service on a new
 * port) then reads the kept composition instead of composing again.
 */
export class CompositionCache {
  private readonly memory = new Map<string, string>();

  constructor(private readonly folder?: string) {}

  compose(subgraphs: readonly SubgraphDefinition[]): CompositionOutcome {
    const sorted = sortedByName(subgraphs);
    const key = compositionKey(sorted);
    const remembered = this.memory.get(key) ?? this.read(key);
    if (remembered !== undefined) {
      this.remember(key, remembered);
      return { supergraphSdl: withUrls(remembered, sorted) };
    }
    const outcome = composeSupergraph(
      sorted.map((subgraph, index) => ({ ...subgraph, url: placeholderUrl(index) })),
    );
    if ('errors' in outcome) {
      return { errors: outcome.errors.map((message) => withUrls(message, sorted, false)) };
    }
    this.remember(key, outcome.supergraphSdl);
    this.write(key, outcome.supergraphSdl);
    return { supergraphSdl: withUrls(outcome.supergraphSdl, sorted) };
  }

  private remember(key: string, sdl: string): void {
    this.memory.delete(key);
    this.memory.set(key, sdl);
    if (this.memory.size > memoryEntries) this.memory.delete(this.memory.keys().next().value!);
  }

  private read(key: string): string | undefined {
    if (!this.folder) return undefined;
    try {
      const text = readFileSync(join(this.folder, `${key}.graphql`), 'utf8');
      const header = `# ${key}\n`;
      return text.startsWith(header) ? text.slice(header.length) : undefined;
    } catch {
      return undefined;
    }
  }

  private write(key: string, sdl: string): void {
    if (!this.folder) return;
    try {
      mkdirSync(this.folder, { recursive: true });
      const file = join(this.folder, `${key}.graphql`);
      const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
      writeFileSync(temporary, `# ${key}\n${sdl}`);
      renameSync(temporary, file);
    } catch {
      // A read-only or full disk: the next start composes again.
    }
  }
}

/**
 * The input in a canonical order (composition sorts by name too), without URLs, hashed with
 * the version.
 */
export function compositionKey(subgraphs: readonly SubgraphDefinition[]): string {
  const hash = createHash('sha256').update(compositionVersion);
  for (const subgraph of sortedByName(subgraphs)) {
    for (const part of [subgraph.name, subgraph.sdl]) {
      hash.update(`${Buffer.byteLength(part)}:`).update(part);
    }
  }
  return hash.digest('hex');
}

/** A URL no subgraph has (`.invalid` is reserved), standing for the index-th subgraph's. */
function placeholderUrl(index: number): string {
  return `https://subgraph-${index}.composition-cache.invalid/graphql`;
}

/**
 * The text with each placeholder URL replaced by its subgraph's: inside the composed SDL as
 * the GraphQL string literal composition prints, in a message as it is.
 */
function withUrls(text: string, sorted: readonly SubgraphDefinition[], quoted = true): string {
  let result = text;
  sorted.forEach((subgraph, index) => {
    const placeholder = placeholderUrl(index);
    result = quoted
      ? result
          .split(JSON.stringify(placeholder))
          .join(print({ kind: Kind.STRING, value: subgraph.url }))
      : result.split(placeholder).join(subgraph.url);
  });
  return result;
}

function readComposerVersion(): string {
  try {
    const manifest = require.resolve('@apollo/composition/package.json');
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
