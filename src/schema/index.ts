import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.ts';
import './system.ts';
import './user.ts';
import './session.ts';
import './issue.ts';
import './issue-queries.ts';
import './issue-mutations.ts';
import './service-account.ts';
import './audit.ts';

/** The GraphQL schema, its types sorted so that the printed SDL is stable. */
export const schema = lexicographicSortSchema(builder.toSchema());
