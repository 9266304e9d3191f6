import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CompositionOutcome,
  composeSupergraph,
  type SubgraphDefinition,
  sortedByName,
} from './composition';

/** Bump when the composed text could differ for the same input (a composition upgrade). */
const compositionVersion = `apollo-composition-${readComposerVersion()}`;
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
 */
export class CompositionCache {
  private readonly memory = new Map<string, string>();

  constructor(private readonly folder?: string) {}

  compose(subgraphs: readonly SubgraphDefinition[]): CompositionOutcome {
    const key = compositionKey(subgraphs);
    const remembered = this.memory.get(key) ?? this.read(key);
    if (remembered !== undefined) {
      this.remember(key, remembered);
      return { supergraphSdl: remembered };
    }
    const outcome = composeSupergraph(subgraphs);
    if ('supergraphSdl' in outcome) {
      this.remember(key, outcome.supergraphSdl);
      this.write(key, outcome.supergraphSdl);
    }
    return outcome;
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

/** The input in a canonical order (composition sorts by name too), hashed with the version. */
export function compositionKey(subgraphs: readonly SubgraphDefinition[]): string {
  const hash = createHash('sha256').update(compositionVersion);
  for (const subgraph of sortedByName(subgraphs)) {
    for (const part of [subgraph.name, subgraph.url, subgraph.sdl]) {
      hash.update(`${Buffer.byteLength(part)}:`).update(part);
    }
  }
  return hash.digest('hex');
}

function readComposerVersion(): string {
  try {
    const manifest = require.resolve('@apollo/composition/package.json');
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
