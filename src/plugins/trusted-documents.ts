import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type DefinitionNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  visit,
} from 'graphql';

const root = new URL('../../', import.meta.url).pathname;

/**
 * The folders of `.graphql` operations the project ships: the typed client's
 * (the contract tests' and the TypeScript example's) and the admin
 * console's. Every operation in them is a trusted document.
 */
export const documentFolders = ['test/schema', 'examples/typescript', 'src/admin/operations'];

/** The committed manifest, written by `npm run codegen`. */
export const manifestFile = 'trusted-documents.json';

/** Hash → document text, as GraphQL Code Generator's persisted-documents.json holds them. */
export type Manifest = Record<string, string>;

/**
 * The SHA-256 of a document's text (its UTF-8 bytes), in lower-case hex:
 * the payload of a GraphQL-over-HTTP `sha256:` document identifier and
 * APQ's `extensions.persistedQuery.sha256Hash`.
 */
export function documentHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The fragments an operation (or fragment) spreads, recursively, each once, in order of first use. */
function fragmentsUsed(node: DefinitionNode, fragments: Map<string, FragmentDefinitionNode>): FragmentDefinitionNode[] {
  const used = new Map<string, FragmentDefinitionNode>();
  const walk = (definition: DefinitionNode) =>
    visit(definition, {
      FragmentSpread(spread) {
        const name = spread.name.value;
        const fragment = fragments.get(name);
        if (!fragment || used.has(name)) return;
        used.set(name, fragment);
        walk(fragment);
      },
    });
  walk(node);
  return [...used.values()];
}

/** One persisted operation: its name and the exact text a client sends. */
export interface TrustedOperation {
  name: string;
  /** The operation and the fragments it uses, printed by graphql-js (what `print(document)` sends). */
  text: string;
}

/**
 * Splits a `.graphql` source into persisted operations (GraphQL-over-HTTP's
 * term: one operation and every fragment it references), each printed by
 * graphql-js, so that the text is what a client sends when it prints the
 * generated document. Anonymous operations are refused: a client names
 * what it sends.
 */
export function operationsOf(source: string, location: string): TrustedOperation[] {
  const document = parse(source);
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  return document.definitions
    .filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
    .map((operation) => {
      if (!operation.name) throw new TypeError(`${location}: every operation needs a name`);
      const single: DocumentNode = {
        kind: Kind.DOCUMENT,
        definitions: [operation, ...fragmentsUsed(operation, fragments)],
      };
      return { name: operation.name.value, text: print(single) };
    });
}

/** Every operation of one folder, file by file in name order. */
export function folderOperations(folder: string, base = root): TrustedOperation[] {
  const dir = join(base, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .flatMap((f) => operationsOf(readFileSync(join(dir, f), 'utf8'), join(folder, f)));
}

/** The manifest of every folder's operations, folder by folder, as `npm run codegen` writes it. */
export function buildManifest(folders = documentFolders, base = root): Manifest {
  const manifest: Manifest = {};
  for (const { text } of folders.flatMap((folder) => folderOperations(folder, base)))
    manifest[documentHash(text)] = text;
  return manifest;
}

/**
 * The committed manifest, read and checked once at start-up: every key must
 * be the hash of its text, so an edited file cannot slip a document in under
 * another's hash.
 */
export function loadManifest(path = join(root, manifestFile)): ReadonlyMap<string, string> {
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TypeError(`${path}: expected an object of hash → document`);
  }
  const documents = new Map<string, string>();
  for (const [hash, text] of Object.entries(parsed)) {
    if (typeof text !== 'string' || documentHash(text) !== hash) {
      throw new TypeError(`${path}: ${hash} is not the SHA-256 of its document (run npm run codegen)`);
    }
    documents.set(hash, text);
  }
  return documents;
}
