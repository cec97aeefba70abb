import type { ObjectRef } from '@pothos/core';
import { queryFromInfo } from '@pothos/plugin-prisma';
import type { GraphQLResolveInfo } from 'graphql';
import type { RequestContext } from '../context.ts';
import type { Page } from '../db/keyset.ts';
import { builder } from './builder.ts';

type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/** What every Relay connection's `pageInfo` answers. */
export const PageInfo = builder
  .objectRef<{ hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null }>(
    'PageInfo',
  )
  .implement({
    description: 'Where a page lies in the list (Relay cursor connections).',
    fields: (t) => ({
      hasNextPage: t.exposeBoolean('hasNextPage', { description: 'More items follow the last edge.' }),
      hasPreviousPage: t.exposeBoolean('hasPreviousPage', { description: 'More items precede the first edge.' }),
      startCursor: t.exposeString('startCursor', { nullable: true, description: 'Cursor of the first edge.' }),
      endCursor: t.exposeString('endCursor', { nullable: true, description: 'Cursor of the last edge.' }),
    }),
  });

export const OrderDirectionEnum = builder.enumType('OrderDirection', {
  description: 'Ascending or descending.',
  values: { ASC: { description: 'Smallest first.' }, DESC: { description: 'Largest first.' } } as const,
});

/**
 * A Relay connection of a Prisma object type: `edges { cursor node }`,
 * `nodes`, `pageInfo`, and `totalCount` when `counted` (counted only when
 * asked for). Resolvers answer a `Page` of `src/db/keyset.ts`.
 */
export function connectionOf<Node extends object>(
  node: ObjectRef<BuilderTypes, Node>,
  name: string,
  options: { plural: string; counted: boolean },
) {
  const Edge = builder.objectRef<{ cursor: string; node: object }>(`${name}Edge`).implement({
    description: `A ${options.plural.replace(/s$/, '')} and its cursor.`,
    fields: (t) => ({
      cursor: t.exposeString('cursor', { description: 'Opaque position of this edge, for `after`.' }),
      node: t.field({ type: node, description: 'The item.', resolve: (edge) => edge.node as never }),
    }),
  });
  return builder.objectRef<Page<object>>(`${name}Connection`).implement({
    description: `A page of ${options.plural}.`,
    fields: (t) => ({
      edges: t.field({
        type: [Edge],
        description: 'The items of this page, each with its cursor.',
        resolve: (c) => c.edges,
      }),
      nodes: t.field({
        type: [node],
        description: 'The items of this page, without cursors.',
        resolve: (c) => c.edges.map((e) => e.node) as never,
      }),
      pageInfo: t.field({ type: PageInfo, description: 'Whether more pages exist.', resolve: (c) => c.pageInfo }),
      ...(options.counted
        ? {
            totalCount: t.int({
              description: `How many ${options.plural} match the filter in all (counted only when asked for).`,
              resolve: (c) => c.totalCount(),
            }),
          }
        : {}),
    }),
  });
}

/**
 * The Prisma selection below a connection's nodes (`edges.node`, else
 * `nodes`), so that relations load with the page, not once per node.
 */
export function nodesQuery(ctx: RequestContext, info: GraphQLResolveInfo, typeName: string) {
  const selected = new Set(
    info.fieldNodes
      .flatMap((n) => n.selectionSet?.selections ?? [])
      .map((s) => (s.kind === 'Field' ? s.name.value : '')),
  );
  const path = selected.has('nodes') && !selected.has('edges') ? ['nodes'] : ['edges', 'node'];
  return queryFromInfo({ context: ctx, info, typeName, path });
}
