import { CriticalityLevel, diff } from '@graphql-inspector/core';
import { buildSchema } from 'graphql';

export interface SchemaChange {
  level: 'BREAKING' | 'DANGEROUS' | 'NON_BREAKING';
  message: string;
  path: string | undefined;
}

/**
 * What changed between two versions of the contract (SDL), as GraphQL
 * Inspector grades it: BREAKING changes break existing clients.
 */
export async function schemaChanges(before: string, after: string): Promise<SchemaChange[]> {
  const changes = await diff(buildSchema(before), buildSchema(after));
  return changes.map((c) => ({
    level:
      c.criticality.level === CriticalityLevel.Breaking
        ? 'BREAKING'
        : c.criticality.level === CriticalityLevel.Dangerous
          ? 'DANGEROUS'
          : 'NON_BREAKING',
    message: c.message,
    path: c.path,
  }));
}
