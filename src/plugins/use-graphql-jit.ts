import { useGraphQlJit as useEnvelopGraphQlJit } from '@envelop/graphql-jit';
import {
  BREAK,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type GraphQLError,
  getLocation,
  Kind,
  locatedError,
  OperationTypeNode,
  type SourceLocation,
  visit,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

export interface GraphQlJitOptions {
  /**
   * How many times a document runs through graphql-js before it is compiled: a document sent
   * once (by a person trying things out, or by a client sending a new document with each
   * request) costs no compilation and no code in memory.
   * @default 3
   */
  compileAfter?: number;
  /**
   * How many documents may hold compiled code at once; further documents run through graphql-js
   * until one of them leaves yoga's parse cache and is collected. Compiled code is large: about
   * 0.2 MB for a page of issues with a dozen fields, 1.1 MB for 60 aliased pages (measured with
   * graphql-jit 0.8.7), so this bounds it at tens of MB.
   * @default 100
   */
  maxCompiled?: number;
  /** Told when graphql-jit cannot compile a document (graphql-js answers it). @default ignored */
  onCompileError?: (result: ExecutionResult) => void;
}

/**
 * Whether graphql-jit may compile a document: a single query (mutations and subscriptions stay
 * with graphql-js) with no string literal anywhere. graphql-jit 0.8 writes an argument's literal
 * value into the code it generates with `JSON.stringify` and then turns its own marker for a Date
 * (`"__MAGIC_DATE__…(n)"`) back into `new Date(n)` by a text replacement: a string literal that
 * begins with that (published) marker would become code. Names (fields, aliases, fragments,
 * variables) are GraphQL names, `[_A-Za-z][_0-9A-Za-z]*`, which cannot break out; numbers, enums,
 * booleans and variables' values never reach the generated code (variables are read at run time).
 */
function compilable(document: DocumentNode): boolean {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  // The plugin caches one compiled operation per document, whatever operation name is asked for.
  if (operations.length !== 1 || operations[0]?.operation !== OperationTypeNode.QUERY) return false;
  let admitted = true;
  const refuse = () => {
    admitted = false;
    return BREAK;
  };
  visit(document, {
    StringValue: refuse,
    // The generated code builds results as object literals, where `__proto__` is no property.
    Name: (node) => (node.value === '__proto__' ? refuse() : undefined),
  });
  return admitted;
}

/** A document's fields by where they start (`line:column`), for errors that name only that. */
const fieldsAt = new WeakMap<DocumentNode, Map<string, FieldNode>>();

function fieldAt(document: DocumentNode, { line, column }: SourceLocation): FieldNode | undefined {
  let fields = fieldsAt.get(document);
  if (!fields) {
    const found = new Map<string, FieldNode>();
    visit(document, {
      Field(node) {
        if (!node.loc) return;
        const at = getLocation(node.loc.source, node.loc.start);
        found.set(`${at.line}:${at.column}`, node);
      },
    });
    fields = found;
    fieldsAt.set(document, fields);
  }
  return fields.get(`${line}:${column}`);
}

/**
 * graphql-jit's result with errors as graphql-js would answer it, or null when only graphql-js
 * can. An error a resolver threw (or returned) becomes the error graphql-js makes of it
 * (`locatedError` with the same field nodes and path: the same message, extensions, locations,
 * and the original error that `useErrorCodes` and yoga's masking look at). Any other error
 * (variables that do not coerce, a null in a non-null field, a value a scalar cannot
 * serialize) is worded by graphql-jit differently: null, and the query runs again through
 * graphql-js. No resolver has run before a variable fails; the others are server bugs.
 */
function asGraphqlJs(result: ExecutionResult, document: DocumentNode): ExecutionResult | null {
  if (!('data' in result)) return null;
  const errors: GraphQLError[] = [];
  for (const error of result.errors ?? []) {
    const nodes = (error.locations ?? []).map((at) => fieldAt(document, at));
    if (!(error.originalError instanceof Error) || nodes.some((node) => !node)) return null;
    errors.push(locatedError(error.originalError, nodes as FieldNode[], error.path));
  }
  return { errors, data: result.data };
}

/**
 * Runs queries through graphql-jit (`@envelop/graphql-jit`), which compiles a document into a
 * JavaScript function: less CPU per query than graphql-js's executor for the documents that
 * clients send again and again. Mutations and subscriptions, and documents `compilable` refuses,
 * stay with graphql-js. Answers are graphql-js's: a successful result is the same data (its
 * fields in the order of the document, as the spec says, where graphql-tools' executor orders
 * them as their resolvers settle); errors are remade as graphql-js makes them (`asGraphqlJs`),
 * or the query runs again through graphql-js.
 *
 * Memory: the plugin keeps compiled code by document in a `WeakMap`, so code lives as long as
 * its document, which yoga's parse cache keeps (the 1,024 used last, as `createServer` sets it). At
 * most `maxCompiled` documents get compiled code at once: one is counted until it is collected.
 * Must be the last plugin that sets the execute function.
 */
export function useGraphQlJit({
  compileAfter = 3,
  maxCompiled = 100,
  onCompileError = () => {},
}: GraphQlJitOptions = {}): Plugin {
  /** Runs through graphql-js so far; -1 for a document that is never compiled. */
  const seen = new WeakMap<DocumentNode, number>();
  let compiled = 0;
  const collected = new FinalizationRegistry<undefined>(() => {
    compiled--;
  });
  const enableIf = ({ document }: ExecutionArgs): boolean => {
    let count = seen.get(document);
    if (count === undefined) {
      count = compilable(document) ? 0 : -1;
      seen.set(document, count);
    }
    if (count < 0) return false;
    if (count > compileAfter) return true;
    if (count === compileAfter) {
      if (compiled >= maxCompiled) return false;
      compiled++;
      collected.register(document, undefined);
    }
    seen.set(document, count + 1);
    return count === compileAfter;
  };
  const jit = useEnvelopGraphQlJit({}, { enableIf, onError: onCompileError });
  return {
    onExecute(payload) {
      const graphqlJs = payload.executeFn;
      return jit.onExecute?.({
        ...payload,
        setExecuteFn: (run) =>
          payload.setExecuteFn(async (args) => {
            const result = (await run(args)) as ExecutionResult;
            return (result.errors?.length ? asGraphqlJs(result, args.document) : result) ?? graphqlJs(args);
          }),
      });
    },
  };
}
