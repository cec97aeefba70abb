import { printSchema } from 'graphql';
import { schema } from './index.ts';

/** Where the committed GraphQL contract lives. */
export const schemaFile = new URL('../../schema.graphql', import.meta.url);

/** The SDL the code's schema prints to (types sorted), as schema.graphql holds it. */
export function printedSchema(): string {
  return `${printSchema(schema)}\n`;
}
