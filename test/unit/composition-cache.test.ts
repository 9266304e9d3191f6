import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeSupergraph, type SubgraphDefinition } from '../../gateway/federation/composition';
import { CompositionCache, compositionKey } from '../../gateway/federation/composition-cache';

const subgraph = (name: string, field: string): SubgraphDefinition => ({
  name,
  url: `http://127.0.0.1/${name}`,
  sdl: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
type Query { ${field}: String }`,
});

describe('CompositionCache', () => {
  let folder: string;
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'composition-cache-'));
  });
  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('answers what composition answers, and keeps it on disk under the input’s key', async () => {
    const input = [subgraph('b', 'beta'), subgraph('a', 'alpha')];
    const outcome = new CompositionCache(folder).compose(input);
    expect(outcome).toEqual(composeSupergraph(input));
    const key = compositionKey(input);
    expect(await readdir(folder)).toEqual([`${key}.graphql`]);
    // The order of the subgraphs is not part of the key (composition sorts them too).
    expect(compositionKey([...input].reverse())).toBe(key);
    expect(compositionKey([subgraph('a', 'alpha'), subgraph('b', 'gamma')])).not.toBe(key);
  });

  it('keeps URLs out of the key: a subgraph at a new address reads the kept text, with its URL', async () => {
    const cache = new CompositionCache(folder);
    cache.compose([subgraph('a', 'alpha'), subgraph('b', 'beta')]);
    const moved = [
      { ...subgraph('a', 'alpha'), url: 'http://127.0.0.1:40123/graphql?x="quoted"\\' },
      { ...subgraph('b', 'beta'), url: 'https://b.example/graphql' },
    ];
    expect(compositionKey(moved)).toBe(
      compositionKey([subgraph('a', 'alpha'), subgraph('b', 'beta')]),
    );
    expect(await readdir(folder)).toHaveLength(1);
    // From memory, and from the file in another process: the same text composition gives.
    expect(cache.compose(moved)).toEqual(composeSupergraph(moved));
    expect(new CompositionCache(folder).compose(moved)).toEqual(composeSupergraph(moved));
    expect(await readdir(folder)).toHaveLength(1);
  });

  it('reads a kept composition in the next process instead of composing again', async () => {
    const input = [subgraph('a', 'alpha')];
    const key = compositionKey(input);
    // What a previous process left (a marker proves the text came from the file).
    await writeFile(join(folder, `${key}.graphql`), `# ${key}\nscalar FromTheFile\n`);
    expect(new CompositionCache(folder).compose(input)).toEqual({
      supergraphSdl: 'scalar FromTheFile\n',
    });
  });

  it('ignores a file that does not name its key, and composes again', async () => {
    const input = [subgraph('a', 'alpha')];
    const key = compositionKey(input);
    await writeFile(join(folder, `${key}.graphql`), 'scalar Truncated');
    expect(new CompositionCache(folder).compose(input)).toEqual(composeSupergraph(input));
    expect((await readFile(join(folder, `${key}.graphql`), 'utf8')).startsWith(`# ${key}\n`)).toBe(
      true,
    );
  });

  it('keeps no failed composition, and works without a folder or with one it cannot write', async () => {
    const clash = [
      subgraph('a', 'alpha'),
      { ...subgraph('b', 'alpha'), sdl: 'type Query { alpha: Int }' },
    ];
    const failed = new CompositionCache(folder).compose(clash);
    expect('errors' in failed).toBe(true);
    const input = [subgraph('a', 'alpha')];
    expect(new CompositionCache().compose(input)).toEqual(composeSupergraph(input));
    // A path under a regular file can never become a folder.
    await writeFile(join(folder, 'a-file'), '');
    expect(new CompositionCache(join(folder, 'a-file', 'cache')).compose(input)).toEqual(
      composeSupergraph(input),
    );
  });
});
