import { EnvelopArmor } from '@escape.tech/graphql-armor';
import {
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  isObjectType,
  Kind,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.ts';
import { defaultPageSize, maxPageSize } from '../issues/input.ts';

/** The arguments that size a page (GraphQL `first`/`last`, RegScale's `take`). */
const pageArguments = new Set(['first', 'last', 'take']);

/** The names of the schema's paged fields (those that take a page size). */
const pagedFieldsOf = (schema: GraphQLSchema): Set<string> =>
  new Set(
    Object.values(schema.getTypeMap())
      .filter(isObjectType)
      .flatMap((type) => Object.values(type.getFields()))
      .filter((field) => field.args.some((a) => pageArguments.has(a.name)))
      .map((field) => field.name),
  );

/**
 * How many default pages (of `defaultPageSize` items) a field may answer, at least 1: for a
 * paged field, its literal page size, the largest page when it is a variable.
 */
function pagesOf(node: FieldNode, paged: Set<string>): number {
  if (!paged.has(node.name.value)) return 1;
  const sizes = (node.arguments ?? [])
    .filter((a) => pageArguments.has(a.name.value))
    .map((a) => (a.value.kind === Kind.INT ? Number(a.value.value) : maxPageSize));
  const size = sizes.length > 0 ? Math.min(maxPageSize, Math.max(...sizes)) : defaultPageSize;
  return Math.max(1, size / defaultPageSize);
}

/**
 * The cost of an operation, graphql-armor's model (a scalar 1, an object 2 plus 1.5 times the
 * cost of its selection, a fragment spread a level of its own) with one change: a paged field
 * (`first`/`last`/`take`) counts once per default page (`defaultPageSize` items) that it may
 * answer: ×1 up to 50 items, ×10 for the largest page (`maxPageSize`), and ×10 when the size is a
 * variable. Armor multiplies by a literal `first`/`last` alone (so a variable escapes it, and a
 * page of 200 with five fields cost more than the limit); this way the page limit and the cost
 * limit are one model, and the default limit (5000) admits a full page of every Issue field.
 */
function operationCost(
  selectionSet: SelectionSetNode,
  fragments: Record<string, FragmentDefinitionNode>,
  paged: Set<string>,
) {
  const visiting = new Set<string>();
  const costOf = (set: SelectionSetNode): number => {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments[selection.name.value];
        if (!fragment || visiting.has(fragment.name.value)) continue; // unknown or cyclic: other rules refuse it
        visiting.add(fragment.name.value);
        total += 1 + 1.5 * (2 + 1.5 * costOf(fragment.selectionSet));
        visiting.delete(fragment.name.value);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        total += 2 + 1.5 * costOf(selection.selectionSet);
      } else if (selection.name.value.startsWith('__') && selection.name.value !== '__typename') {
        // introspection: blocked or allowed by the discoverability rules, not priced
      } else if (selection.selectionSet) {
        total += (2 + 1.5 * costOf(selection.selectionSet)) * pagesOf(selection, paged);
      } else {
        total += 1;
      }
    }
    return total;
  };
  return costOf(selectionSet);
}

function costLimit(maxCost: number): ValidationRule {
  const pagedBySchema = new WeakMap<GraphQLSchema, Set<string>>();
  return (context) => ({
    OperationDefinition(operation) {
      const fragments = Object.fromEntries(
        context
          .getDocument()
          .definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
          .map((d) => [d.name.value, d]),
      );
      const schema = context.getSchema();
      const paged = pagedBySchema.get(schema) ?? pagedFieldsOf(schema);
      pagedBySchema.set(schema, paged);
      if (operationCost(operation.selectionSet, fragments, paged) > maxCost) {
        context.reportError(new GraphQLError('Syntax Error: Query too costly.'));
      }
    },
  });
}

/**
 * graphql-armor with every limit written down (GRAPHQL_MAX_*), rejecting
 * an operation before it runs: depth, aliases, directives and tokens; the
 * cost is ours ({@link operationCost}). Field suggestions are blocked by the
 * discoverability plugin instead, and only when VIEW_APIS is false. Limits
 * are not echoed in error messages.
 */
export function useArmor(limits: Config['graphql']): Plugin[] {
  const armor = new EnvelopArmor({
    maxDepth: { n: limits.maxDepth, flattenFragments: true, exposeLimits: false, errorMessage: 'Query too deep.' },
    maxAliases: { n: limits.maxAliases, exposeLimits: false, errorMessage: 'Too many aliases.' },
    maxDirectives: { n: limits.maxDirectives, exposeLimits: false, errorMessage: 'Too many directives.' },
    maxTokens: { n: limits.maxTokens, exposeLimits: false, errorMessage: 'Query too large.' },
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  });
  const cost = costLimit(limits.maxCost);
  return [...(armor.protect().plugins as Plugin[]), { onValidate: ({ addValidationRule }) => addValidationRule(cost) }];
}
