import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { z } from 'zod';
import { systemClock } from '../clock.js';
import { ErrorCode, OrchestratorError } from '../errors.js';
import { asSentence } from '../internal/sentence.js';
import { migrateToLatest } from './sql/migrations.js';
import type { CairnDatabase } from './sql/schema.js';
import { SqlStore } from './sql/sql-store.js';
import { DEFAULT_ARN_PREFIX, type StoreOptions } from './store-support.js';

/** PostgreSQL's limit on bind parameters per statement. */
const POSTGRES_MAX_PARAMETERS = 65_535;
const PG_INT8_OID = 20;
const PG_JSON_OIDS = new Set([114, 3802]);

/** Options of `PostgresStore.open`. */
export interface PostgresStoreOptions extends StoreOptions {
  /** e.g. `postgres://postgres@127.0.0.1:5432/cairn`. */
  connectionString: string;
  /** Schema holding Cairn's tables (created when missing), so several stores can share a database. @defaultValue 'public' */
  schema?: string;
  /** Pool size. @defaultValue 10 */
  maxConnections?: number;
  /**
   * Where `connectionString` came from (`--database`, `DATABASE_URL`, a configuration key), named in
   * the error when the store cannot be opened. @defaultValue 'the connection string'
   */
  source?: string;
}

const PostgresStoreOptionsSchema = z.object({
  connectionString: z.string().min(1),
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a schema name is lower-case letters, digits and "_", starting with a letter or "_"')
    .optional(),
  maxConnections: z.number().int().positive().optional(),
  source: z.string().min(1).optional(),
  arnPrefix: z.string().startsWith('arn:').optional(),
});

/**
 * Reads `bigint` as a number (Cairn's times are epoch milliseconds, well inside 2^53) and JSON
 * as text, so rows look the same as SQLite's.
 */
const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === PG_INT8_OID) return Number;
    if (PG_JSON_OIDS.has(oid)) return (value: string) => value;
    return pg.types.getTypeParser(oid, format ?? 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** The distributed runtime's store: PostgreSQL, optionally inside its own schema. */
export class PostgresStore extends SqlStore {
  readonly kind = 'postgres';

  /** Connects, creates the schema when missing and applies pending migrations. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const parsed = PostgresStoreOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw new OrchestratorError(ErrorCode.ConfigInvalid, `Invalid PostgreSQL store options: ${z.prettifyError(parsed.error)}`, {
        fix: 'pass a connection string such as postgres://postgres@127.0.0.1:5432/cairn and a plain lower-case schema name.',
      });
    }
    const schema = options.schema ?? 'public';
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      options: `-c search_path=${schema}`,
      types: typeParsers,
    });
    const db = new Kysely<CairnDatabase>({ dialect: new PostgresDialect({ pool }) });
    try {
      await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
      await migrateToLatest(db as Kysely<unknown>, 'postgres', schema);
    } catch (err) {
      await db.destroy();
      if (err instanceof OrchestratorError) throw err;
      throw new OrchestratorError(ErrorCode.ConfigInvalid, asSentence(`Cannot open the PostgreSQL store: ${String(err)}`), {
        cause: err,
        fix: `check ${options.source ?? 'the connection string'} (host, port, user, database) and that the server is running.`,
      });
    }
    return new PostgresStore(db, options);
  }

  private constructor(db: Kysely<CairnDatabase>, options: StoreOptions) {
    super({
      db,
      dialect: 'postgres',
      arnPrefix: options.arnPrefix ?? DEFAULT_ARN_PREFIX,
      clock: options.clock ?? systemClock,
      maxParameters: POSTGRES_MAX_PARAMETERS,
    });
  }
}
