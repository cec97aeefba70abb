import { EnvelopArmor } from '@escape.tech/graphql-armor';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.ts';

/**
 * graphql-armor with every limit written down (GRAPHQL_MAX_*), rejecting
 * an operation before it runs: depth, aliases, directives, tokens and cost.
 * Field suggestions are blocked by the discoverability plugin instead, and
 * only when VIEW_APIS is false. Limits are not echoed in error messages.
 */
export function useArmor(limits: Config['graphql']): Plugin[] {
  const armor = new EnvelopArmor({
    maxDepth: { n: limits.maxDepth, flattenFragments: true, exposeLimits: false, errorMessage: 'Query too deep.' },
    maxAliases: { n: limits.maxAliases, exposeLimits: false, errorMessage: 'Too many aliases.' },
    maxDirectives: { n: limits.maxDirectives, exposeLimits: false, errorMessage: 'Too many directives.' },
    maxTokens: { n: limits.maxTokens, exposeLimits: false, errorMessage: 'Query too large.' },
    costLimit: {
      maxCost: limits.maxCost,
      objectCost: 2,
      scalarCost: 1,
      depthCostFactor: 1.5,
      exposeLimits: false,
      errorMessage: 'Query too costly.',
    },
    blockFieldSuggestion: { enabled: false },
  });
  return armor.protect().plugins as Plugin[];
}
