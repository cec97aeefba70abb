import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg';
import * as bindings from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';
import { sqlitePath } from './client.ts';
import { type Provider, providerOf } from './provider.ts';

let ready: Promise<void> | undefined;

/**
 * Instantiates Prisma's schema engine (its WebAssembly build) once per
 * process. The package's own entry imports the `.wasm` as an ES module,
 * which Node refuses, so the module is compiled here and handed to the
 * bindings, as that entry would.
 */
function loadEngine(): Promise<void> {
  ready ??= (async () => {
    // The package exports no path to the .wasm; it lies beside its entry.
    const entry = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm');
    const wasmPath = join(dirname(entry), 'schema_engine_bg.wasm');
    const module = await WebAssembly.compile(await readFile(wasmPath));
    const instance = await WebAssembly.instantiate(module, { './schema_engine_bg.js': bindings as never });
    bindings.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start: () => void }).__wbindgen_start();
  })();
  return ready;
}

/** PostgreSQL's internal one-byte type `"char"`. */
const charOid = 18;
const textOid = 25;

/**
 * A pool that reports PostgreSQL's `"char"` columns as text. The schema
 * engine reads catalog columns of that type when it describes a database
 * (the drift check); the pg adapter, written for application queries,
 * refuses the type. Used only for the schema engine's connections.
 */
class CharAsTextPool extends pg.Pool {
  // biome-ignore lint/suspicious/noExplicitAny: pg's overloads of query() cannot be re-declared one by one.
  override query(...args: any[]): any {
    // biome-ignore lint/suspicious/noExplicitAny: as above.
    const result = (super.query as (...a: any[]) => any)(...args);
    if (!(result instanceof Promise)) return result;
    return result.then((r: pg.QueryResult) => {
      for (const field of r.fields ?? []) if (field.dataTypeID === charOid) field.dataTypeID = textOid;
      return r;
    });
  }
}

/**
 * The provider's adapter factory, remembering the connections it opens:
 * freeing the engine does not close them, and an open SQLite connection
 * would keep the file locked.
 */
function adapterFactory(url: string, provider: Provider) {
  const pool = provider === 'postgresql' ? new CharAsTextPool({ connectionString: url, max: 2 }) : undefined;
  const factory: SqlMigrationAwareDriverAdapterFactory = pool
    ? new PrismaPg(pool, { disposeExternalPool: true })
    : new PrismaBetterSqlite3({ url: `file:${sqlitePath(url)}` });
  const opened: SqlDriverAdapter[] = [];
  const track = async (connection: Promise<SqlDriverAdapter>) => {
    const adapter = await connection;
    if (pool) {
      // The pg adapter splits scripts on every `;`, which breaks function
      // bodies; PostgreSQL runs a whole script in one simple query.
      const onError = (adapter as unknown as { onError(e: unknown): never }).onError.bind(adapter);
      adapter.executeScript = async (script) => {
        await pool.query(script).catch(onError);
      };
    }
    opened.push(adapter);
    return adapter;
  };
  const tracked: SqlMigrationAwareDriverAdapterFactory = {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: () => track(factory.connect()),
    connectToShadowDb: () => track(factory.connectToShadowDb()),
  };
  return { tracked, close: () => Promise.allSettled(opened.map((a) => a.dispose())) };
}

/** Empty filters: every table and enum belongs to this schema. */
export const noFilters = { externalTables: [], externalEnums: [] };

/**
 * Opens the schema engine on a database with the provider's schema and
 * runs `work`, freeing the engine afterwards.
 */
export async function withSchemaEngine<T>(
  url: string,
  schema: { path: string; content: string },
  work: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  await loadEngine();
  const { tracked, close } = adapterFactory(url, providerOf(url));
  try {
    const engine = await bindings.SchemaEngine.new(
      { datamodels: [[schema.path, schema.content]] },
      () => {},
      bindMigrationAwareSqlAdapterFactory(tracked),
    );
    try {
      return await work(engine);
    } finally {
      engine.free();
    }
  } finally {
    await close();
  }
}
