import type { Provider } from './provider.ts';

/** A column's value as a REST answer writes it: a date as its ISO text, anything else as Prisma gives it. */
export type JsonScalar = string | number | boolean | null;

/** Turns a value as the driver hands it over into the {@link JsonScalar} of Prisma's value for it. */
export type Decoder = (value: unknown) => JsonScalar;

/** A scalar field of the Prisma model, as the generated client describes it (its runtime data model). */
export interface ModelField {
  name: string;
  kind: string;
  type: string;
}

/**
 * The scalar fields of a model, in the schema's (and the table's) column order, read from the
 * generated client's runtime data model: the description Prisma maps its own results with.
 */
export function modelFields(db: object, model: string): ModelField[] {
  const runtime = (db as { _runtimeDataModel?: { models?: Record<string, { fields?: ModelField[] }> } })
    ._runtimeDataModel;
  const fields = runtime?.models?.[model]?.fields;
  if (!fields) throw new TypeError(`modelFields: the client describes no model ${model}`);
  return fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum');
}

/**
 * How each value of a field of this type is decoded, on this provider, to what Prisma would
 * give: the same conversions as Prisma's adapters and result mapping (see the functions
 * below), for the values the rows module asks for: better-sqlite3's default values on
 * SQLite (numbers, text; dates stored as text), and on PostgreSQL every column as its text
 * (no type parser), as the adapter reads timestamps.
 */
export function decoderOf(provider: Provider, field: ModelField): Decoder {
  const decoders = provider === 'sqlite' ? sqlite : postgres;
  const decode = field.kind === 'enum' ? decoders.Enum : decoders[field.type as keyof typeof decoders];
  if (!decode) throw new TypeError(`decoderOf: no decoder for ${field.name} (${field.type})`);
  return (value) => (value === null || value === undefined ? null : decode(value, field.name));
}

type Decode = (value: unknown, column: string) => JsonScalar;

const sqlite: Record<'Int' | 'String' | 'Boolean' | 'DateTime' | 'Enum', Decode> = {
  Int: (value, column) => (typeof value === 'number' ? Math.trunc(value) : intOfText(value, column)),
  String: (value, column) => textOf(value, column),
  Enum: (value, column) => textOf(value, column),
  // Prisma's mapping: 1 is true, any other number false; some spellings of text.
  Boolean: (value, column) => (typeof value === 'number' ? value === 1 : booleanOfText(value, column)),
  // The adapter writes dates as ISO text with +00:00; a number is epoch milliseconds.
  DateTime: (value, column) => {
    if (typeof value === 'number') return new Date(value).toISOString();
    const text = textOf(value, column);
    return sqliteIso.test(text) ? `${text.slice(0, 23)}Z` : prismaDateTime(text);
  },
};

const postgres: typeof sqlite = {
  Int: (value, column) => intOfText(value, column),
  String: (value, column) => textOf(value, column),
  Enum: (value, column) => textOf(value, column),
  Boolean: (value) => value === 't',
  // timestamp(3) as PostgreSQL writes it (`2026-01-31 12:00:00.5`); the adapter makes it UTC (+00:00).
  DateTime: (value, column) => {
    const text = textOf(value, column);
    if (!postgresIso.test(text)) return prismaDateTime(`${text.replace(' ', 'T')}+00:00`);
    const fraction = text.length === 19 ? '.000' : text.slice(19).padEnd(4, '0');
    return `${text.slice(0, 10)}T${text.slice(11, 19)}${fraction}Z`;
  },
};

/**
 * Dates whose ISO text can be written without a Date: the day of the month at most 28 and the
 * hour at most 23 (`new Date` rolls 2026-02-30 over to March, and 24:00 to the next day; those
 * take the slow path, which does exactly what Prisma does).
 */
const plainDate = String.raw`\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])`;
const plainTime = String.raw`(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d`;
const sqliteIso = new RegExp(String.raw`^${plainDate}T${plainTime}\.\d{3}\+00:00$`);
const postgresIso = new RegExp(String.raw`^${plainDate} ${plainTime}(?:\.\d{1,3})?$`);

/** Prisma's reading of a date's text (its result mapping's normalisation, then `new Date`), as ISO text. */
function prismaDateTime(text: string): string {
  const time = /\d{2}:\d{2}:\d{2}(?:\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)?$/.exec(text);
  let normal: string;
  if (time === null) normal = `${text}T00:00:00Z`;
  else {
    const [whole, zone, zoneMinutes] = time;
    normal = zone !== undefined && zone !== 'Z' && zoneMinutes === undefined ? `${text}:00` : text;
    if (zone === undefined) normal = `${text}Z`;
    if (whole.length === text.length) normal = `1970-01-01T${normal}`;
    else if (normal[time.index - 1] === ' ') normal = `${normal.slice(0, time.index - 1)}T${normal.slice(time.index)}`;
  }
  return new Date(normal).toISOString();
}

function textOf(value: unknown, column: string): string {
  if (typeof value !== 'string') throw unexpected('a string', value, column);
  return value;
}

function intOfText(value: unknown, column: string): number {
  const number = Math.trunc(Number(textOf(value, column)));
  if (!Number.isSafeInteger(number)) throw unexpected('an integer', value, column);
  return number;
}

function booleanOfText(value: unknown, column: string): boolean {
  const text = textOf(value, column);
  if (text === 'true' || text === 'TRUE' || text === '1') return true;
  if (text === 'false' || text === 'FALSE' || text === '0') return false;
  throw unexpected('a boolean', value, column);
}

/** What Prisma's result mapping throws for a value of the wrong type. */
function unexpected(what: string, value: unknown, column: string): Error {
  return new Error(`Expected ${what} in column '${column}', got ${typeof value}: ${String(value)}`);
}
