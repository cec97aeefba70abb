import type { Config } from '../config.ts';
import { type LiteralLookups, literalContains } from '../db/literal.ts';
import type { Prisma } from '../db/types.ts';
import { BadUserInputError } from '../errors.ts';
import { type FieldKind, regscaleFields } from './regscale-fields.ts';
import { parseSeverity, parseStatus } from './regscale-values.ts';

/** How a field of RegScale's `where` is compared: its column and kind. */
export type FilterKind = FieldKind | 'severity' | 'status';

/**
 * The fields RegScale's dialect filters and orders on, under RegScale's
 * names, and the column each is stored in. The core fields first, then
 * every RegScale field (each a column of its own).
 */
export const filterFields: Record<string, { column: string; kind: FilterKind }> = {
  id: { column: 'id', kind: 'int' },
  uuid: { column: 'uuid', kind: 'string' },
  title: { column: 'title', kind: 'string' },
  description: { column: 'description', kind: 'string' },
  severityLevel: { column: 'severityLevel', kind: 'severity' },
  status: { column: 'status', kind: 'status' },
  dueDate: { column: 'dueDate', kind: 'date' },
  dateCompleted: { column: 'dateCompleted', kind: 'date' },
  issueOwnerId: { column: 'issueOwnerId', kind: 'string' },
  createdById: { column: 'createdById', kind: 'string' },
  lastUpdatedById: { column: 'lastUpdatedById', kind: 'string' },
  dateCreated: { column: 'createdAt', kind: 'date' },
  dateLastUpdated: { column: 'updatedAt', kind: 'date' },
  ...Object.fromEntries(Object.entries(regscaleFields).map(([name, kind]) => [name, { column: name, kind }])),
};

/** The operators each kind takes (the GraphQL input types say the same). */
export const operatorsOf: Record<FilterKind, readonly string[]> = {
  int: ['eq', 'neq', 'in', 'gt', 'gte', 'lt', 'lte'],
  date: ['eq', 'neq', 'in', 'gt', 'gte', 'lt', 'lte'],
  string: ['eq', 'neq', 'in', 'contains'],
  boolean: ['eq', 'neq'],
  severity: ['eq', 'neq', 'in'],
  status: ['eq', 'neq', 'in'],
};

/** Deepest nesting of `and`/`or`, and most values of an `in`. */
const maxDepth = 5;
const maxInValues = 100;

function operand(kind: FilterKind, value: unknown, field: string): unknown {
  if (value === null) return null;
  switch (kind) {
    case 'severity': {
      const s = typeof value === 'string' ? parseSeverity(value) : undefined;
      if (!s) throw new BadUserInputError(`${field}: not a severity`, field);
      return s;
    }
    case 'status': {
      const s = typeof value === 'string' ? parseStatus(value) : undefined;
      if (!s) throw new BadUserInputError(`${field}: not a status`, field);
      return s;
    }
    case 'date': {
      const d = value instanceof Date ? value : new Date(String(value));
      if (Number.isNaN(d.getTime())) throw new BadUserInputError(`${field}: must be a date-time`, field);
      return d;
    }
    case 'int':
      if (!Number.isSafeInteger(value)) throw new BadUserInputError(`${field}: must be an integer`, field);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw new BadUserInputError(`${field}: must be true or false`, field);
      return value;
    case 'string':
      if (typeof value !== 'string') throw new BadUserInputError(`${field}: must be a string`, field);
      if (value.length > 4000) throw new BadUserInputError(`${field}: must be at most 4000 characters`, field);
      return value;
  }
}

function condition(
  name: string,
  ops: unknown,
  path: string,
  provider: Config['provider'],
  lookups: LiteralLookups,
): Prisma.IssueWhereInput[] {
  const spec = filterFields[name];
  if (!spec) throw new BadUserInputError(`${path}: no such field to filter on`, path);
  if (typeof ops !== 'object' || ops === null || Array.isArray(ops)) {
    throw new BadUserInputError(`${path}: must be an object of operators`, path);
  }
  const { column, kind } = spec;
  const out: Prisma.IssueWhereInput[] = [];
  for (const [op, raw] of Object.entries(ops)) {
    const field = `${path}.${op}`;
    if (!operatorsOf[kind].includes(op)) {
      throw new BadUserInputError(`${field}: ${name} takes ${operatorsOf[kind].join(', ')}`, field);
    }
    if (raw === undefined) continue;
    if (op === 'in') {
      if (!Array.isArray(raw)) throw new BadUserInputError(`${field}: must be a list`, field);
      if (raw.length > maxInValues) throw new BadUserInputError(`${field}: at most ${maxInValues} values`, field);
      out.push({ [column]: { in: raw.map((v, i) => operand(kind, v, `${field}.${i}`)) } });
      continue;
    }
    const value = operand(kind, raw, field);
    if (value === null && op !== 'eq' && op !== 'neq') throw new BadUserInputError(`${field}: must not be null`, field);
    if (op === 'eq') out.push({ [column]: value });
    else if (op === 'neq') out.push({ [column]: { not: value } });
    else if (op === 'contains') {
      out.push(literalContains('Issue', column, value as string, provider, lookups, field));
    } else out.push({ [column]: { [op]: value } });
  }
  return out;
}

/**
 * The Prisma condition of a RegScale (HotChocolate) `where`: every field's
 * operators must hold, `and` lists conditions that must all hold, `or`
 * conditions of which one must. Anything else is BAD_USER_INPUT naming the
 * path (`where.parentId.gt`).
 */
export function regscaleWhere(
  where: unknown,
  provider: Config['provider'],
  lookups: LiteralLookups,
  path = 'where',
  depth = 0,
): Prisma.IssueWhereInput {
  if (where === null || where === undefined) return {};
  if (typeof where !== 'object' || Array.isArray(where)) {
    throw new BadUserInputError(`${path}: must be an object`, path);
  }
  if (depth > maxDepth) throw new BadUserInputError(`${path}: nested deeper than ${maxDepth}`, path);
  const and: Prisma.IssueWhereInput[] = [];
  for (const [name, value] of Object.entries(where)) {
    if (value === undefined) continue;
    if (name === 'and' || name === 'or') {
      if (!Array.isArray(value)) throw new BadUserInputError(`${path}.${name}: must be a list`, `${path}.${name}`);
      const parts = value.map((w, i) => regscaleWhere(w, provider, lookups, `${path}.${name}.${i}`, depth + 1));
      and.push(name === 'and' ? { AND: parts } : { OR: parts });
      continue;
    }
    and.push(...condition(name, value, `${path}.${name}`, provider, lookups));
  }
  return { AND: and };
}

/** What RegScale's dialect may order by (`order: { dateCreated: DESC }`), and the column of each. */
export const sortFields: Record<string, string> = {
  id: 'id',
  title: 'title',
  severityLevel: 'severityRank',
  status: 'status',
  dueDate: 'dueDate',
  dateCompleted: 'dateCompleted',
  dateCreated: 'createdAt',
  dateLastUpdated: 'updatedAt',
  dateFirstDetected: 'dateFirstDetected',
  parentId: 'parentId',
  securityPlanId: 'securityPlanId',
};

/** The Prisma ordering of a RegScale `order` (a list of `{ field: ASC|DESC }`), ties broken by id. */
export function regscaleOrder(order: unknown): Prisma.IssueOrderByWithRelationInput[] {
  const list = order == null ? [] : Array.isArray(order) ? order : [order];
  if (list.length > 5) throw new BadUserInputError('order: at most 5 orderings', 'order');
  const out: Prisma.IssueOrderByWithRelationInput[] = [];
  for (const [i, item] of list.entries()) {
    for (const [name, direction] of Object.entries((item ?? {}) as Record<string, unknown>)) {
      if (direction == null) continue;
      const column = sortFields[name];
      const field = `order.${i}.${name}`;
      if (!column) throw new BadUserInputError(`${field}: cannot order by ${name}`, field);
      if (direction !== 'ASC' && direction !== 'DESC')
        throw new BadUserInputError(`${field}: must be ASC or DESC`, field);
      out.push({ [column]: direction === 'ASC' ? 'asc' : 'desc' });
    }
  }
  if (!out.some((o) => 'id' in o)) out.push({ id: 'asc' });
  return out;
}
