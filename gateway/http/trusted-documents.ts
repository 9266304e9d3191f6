import { existsSync, readFileSync } from 'node:fs';
import type { Caller } from '../shared/context';

/**
 * The web apps' GraphQL documents, registered by hash at build time
 * (web/src/generated/trusted-documents.json, written by web/scripts/codegen.mjs). The apps send
 * `extensions.persistedQuery.sha256Hash` instead of the text; the gateway puts the registered
 * text in its place, so everything after (the compiled path, Apollo, the member cache) sees an
 * ordinary request. With `required`, members and finance users, whose only client is the apps,
 * may send nothing else: a scanner holding a member's token cannot try arbitrary documents.
 */
export class TrustedDocuments {
  constructor(
    private readonly byHash: ReadonlyMap<string, string>,
    readonly mode: TrustedDocumentsMode,
  ) {}

  static load(file: string, mode: TrustedDocumentsMode): TrustedDocuments {
    const manifest = existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>)
      : {};
    return new TrustedDocuments(new Map(Object.entries(manifest)), mode);
  }

  get size(): number {
    return this.byHash.size;
  }

  /** The registered documents' texts. */
  documents(): IterableIterator<string> {
    return this.byHash.values();
  }

  /** The request with the registered text in place of its hash, or why it is refused. */
  resolve(caller: Caller, body: unknown): { body: unknown } | { refused: string } {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return { body };
    const request = body as Record<string, unknown>;
    const hash = persistedHash(request.extensions);
    if (hash !== undefined && request.query === undefined) {
      const query = this.byHash.get(hash);
      if (query === undefined) return { refused: 'PersistedQueryNotFound' };
      const { extensions: _registered, ...rest } = request;
      return { body: { ...rest, query } };
    }
    if (this.mode === 'required' && (caller.kind === 'member' || caller.kind === 'finance')) {
      return { refused: 'Only the web apps’ registered documents are accepted for this caller' };
    }
    return { body };
  }
}

/** `allow`: registered hashes and any text; `required`: members and finance send hashes only. */
export type TrustedDocumentsMode = 'allow' | 'required';

export function trustedDocumentsMode(value: string | undefined): TrustedDocumentsMode {
  if (value === undefined || value === '' || value === 'allow') return 'allow';
  if (value === 'required') return 'required';
  throw new Error(`TRUSTED_DOCUMENTS must be "allow" or "required", got "${value}"`);
}

function persistedHash(extensions: unknown): string | undefined {
  const persisted = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)
    ?.persistedQuery;
  const hash = persisted?.sha256Hash;
  return typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash) ? hash : undefined;
}
