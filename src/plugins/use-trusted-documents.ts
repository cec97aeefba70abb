import type { Plugin } from 'graphql-yoga';
import { AppError, PersistedQueryNotFoundError, QueryNotInSafelistError } from '../errors.ts';
import { documentHash, loadManifest } from './trusted-documents.ts';

export interface TrustedDocumentsOptions {
  /**
   * `allow`: a listed document may be sent by its hash instead of its text,
   * and any other text still runs. `require`: only listed documents run, sent
   * by hash or as their exact text.
   */
  mode: 'allow' | 'require';
  /** Hash → document text. @default the committed manifest (`loadManifest()`) */
  documents?: ReadonlyMap<string, string>;
}

const sha256Id = /^sha256:([0-9a-f]{64})$/;

function badRequest(message: string): AppError {
  return new AppError(message, 'BAD_REQUEST', 400);
}

/**
 * The document id of a request, as a hash, or undefined when it names none:
 * GraphQL-over-HTTP's `documentId` (`sha256:<hex>`, or the bare hex, in the
 * body or, for GET, the URL) or APQ's `extensions.persistedQuery.sha256Hash`.
 * An id of another kind is kept as it is and so is found in no manifest.
 */
function documentIdOf(request: Request, params: Record<string, unknown>): string | undefined {
  const documentId =
    request.method === 'GET' ? (new URL(request.url).searchParams.get('documentId') ?? undefined) : params.documentId;
  if (documentId !== undefined && documentId !== null && typeof documentId !== 'string') {
    throw badRequest('documentId must be a string');
  }
  const persisted = (params.extensions as { persistedQuery?: unknown } | undefined)?.persistedQuery;
  let apqHash: string | undefined;
  if (persisted !== undefined && persisted !== null) {
    const { version, sha256Hash } = persisted as { version?: unknown; sha256Hash?: unknown };
    if (version !== 1 || typeof sha256Hash !== 'string') {
      throw badRequest('extensions.persistedQuery must be { "version": 1, "sha256Hash": "<hex>" }');
    }
    apqHash = sha256Hash;
  }
  const fromId = documentId ? (sha256Id.exec(documentId)?.[1] ?? documentId) : undefined;
  if (fromId !== undefined && apqHash !== undefined && fromId !== apqHash) {
    throw badRequest('documentId and extensions.persistedQuery name different documents');
  }
  return fromId ?? apqHash;
}

/**
 * Trusted documents (persisted operations), following GraphQL-over-HTTP's
 * persisted documents and yoga's persisted-operations plugin: a request may
 * name a document of the manifest by its SHA-256 instead of sending its text,
 * and with `require` nothing else runs.
 *
 * It decides before the document is parsed, so a refused request learns
 * nothing of the schema; a listed document then goes through everything an
 * ad-hoc one does (armor limits, discoverability, authentication and
 * authorization). A request with both the text and an id must send the text
 * the id hashes. Refusals: an unknown id is PERSISTED_QUERY_NOT_FOUND with
 * `allow` (an APQ client then sends the text, which runs) and
 * PERSISTED_QUERY_NOT_IN_LIST with `require` (sending the text cannot help),
 * both 404; unlisted text with `require` is QUERY_NOT_IN_SAFELIST, 403.
 */
export function useTrustedDocuments({ mode, documents = loadManifest() }: TrustedDocumentsOptions): Plugin {
  return {
    onParams({ request, params, setParams }) {
      const raw = params as Record<string, unknown>;
      const id = documentIdOf(request, raw);
      const query = typeof raw.query === 'string' ? raw.query : undefined;
      // Yoga refuses parameters it does not know: documentId is ours.
      const { documentId: _id, ...rest } = raw;
      if (id !== undefined && query !== undefined && documentHash(query) !== id) {
        throw badRequest('The document id is not the SHA-256 of the query sent');
      }
      if (id !== undefined && query === undefined) {
        const text = documents.get(id);
        if (text === undefined) throw new PersistedQueryNotFoundError(mode);
        setParams({ ...rest, query: text });
        return;
      }
      if (mode === 'require' && query !== undefined && !documents.has(documentHash(query))) {
        throw new QueryNotInSafelistError();
      }
      if ('documentId' in raw) setParams(rest);
    },
  };
}
