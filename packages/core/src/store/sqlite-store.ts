import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type SqliteDatabase,
  type SqliteDialectConfig,
  type SqliteStatement,
} from 'kysely';
import { z } from 'zod';
import { systemClock } from '../clock.js';
import { ErrorCode, OrchestratorError } from '../errors.js';
import type { StoreBatch } from './execution-store.js';
import { cairnMigrations, migrateToLatest } from './sql/migrations.js';
import type { CairnDatabase } from './sql/schema.js';
import { SqlStore } from './sql/sql-store.js';
import { SqliteCommitPath } from './sql/sqlite-fast-path.js';
import { DEFAULT_ARN_PREFIX, type StoreOptions } from './store-support.js';

/** Where the embedded store lives unless told otherwise (relative to the working directory). */
export const DEFAULT_SQLITE_PATH = '.cairn/cairn.db';

/** SQLite's default limit on bind parameters per statement (SQLITE_MAX_VARIABLE_NUMBER). */
const SQLITE_MAX_PARAMETERS = 32_766;
/** Migrations a current file has applied (recorded in `PRAGMA user_version`). */
const SQLITE_MIGRATION_COUNT = Object.keys(cairnMigrations('sqlite')).length;
/** Prepared statements kept per connection. */
const STATEMENT_CACHE_SIZE = 256;

/** Options of `SqliteStore.open`. */
export interface SqliteStoreOptions extends StoreOptions {
  /** Database file; `:memory:` for a private in-memory database. @defaultValue DEFAULT_SQLITE_PATH */
  path?: string;
  /** How long a writer waits for another process's write lock, in milliseconds. @defaultValue 10_000 */
  busyTimeoutMs?: number;
}

const SqliteStoreOptionsSchema = z.object({
  path: z.string().min(1).optional(),
  busyTimeoutMs: z.number().int().nonnegative().optional(),
  arnPrefix: z.string().startsWith('arn:').optional(),
});

/**
 * The embedded runtime's store: one SQLite file (WAL, `synchronous=NORMAL`, a busy timeout and
 * `BEGIN IMMEDIATE` transactions), so several CLI processes can share it safely.
 */
export class SqliteStore extends SqlStore {
  readonly kind = 'sqlite';

  /** Opens (creating when missing) the database file and applies pending migrations. */
  static async open(options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    const parsed = SqliteStoreOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw new OrchestratorError(ErrorCode.ConfigInvalid, `Invalid SQLite store options: ${z.prettifyError(parsed.error)}`, {
        fix: 'pass a file path, a non-negative busyTimeoutMs and an arnPrefix starting with "arn:".',
      });
    }
    const path = options.path ?? DEFAULT_SQLITE_PATH;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    // Loaded on demand, so importing @cairn/core never loads the native module.
    const { default: Database } = await import('better-sqlite3');
    const sqlite = new Database(path);
    sqlite.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    const db = new Kysely<CairnDatabase>({ dialect: new ImmediateSqliteDialect({ database: cachingDatabase(sqlite) }) });
    // `user_version` counts applied migrations, so an up-to-date file opens without the migrator.
    if (Number(sqlite.pragma('user_version', { simple: true })) < SQLITE_MIGRATION_COUNT) {
      // Kysely runs SQLite migrations without a transaction or lock; one immediate transaction
      // around them (on the same single connection) makes a second opener wait, then find them done.
      sqlite.exec('begin immediate');
      try {
        await migrateToLatest(db as Kysely<unknown>, 'sqlite');
        sqlite.pragma(`user_version = ${SQLITE_MIGRATION_COUNT}`);
        sqlite.exec('commit');
      } catch (err) {
        if (sqlite.inTransaction) sqlite.exec('rollback');
        await db.destroy();
        throw err;
      }
    }
    return new SqliteStore(db, options, new SqliteCommitPath(sqlite));
  }

  private constructor(
    db: Kysely<CairnDatabase>,
    options: StoreOptions,
    private readonly commitPath: SqliteCommitPath,
  ) {
    super({
      db,
      dialect: 'sqlite',
      arnPrefix: options.arnPrefix ?? DEFAULT_ARN_PREFIX,
      clock: options.clock ?? systemClock,
      maxParameters: SQLITE_MAX_PARAMETERS,
    });
  }

  /** One synchronous better-sqlite3 transaction (`SqliteCommitPath`); behind Kysely's transaction when one is open. */
  override async commit(batch: StoreBatch): Promise<void> {
    if (!this.commitPath.tryCommit(batch)) await super.commit(batch);
  }
}

/**
 * Reuses prepared statements by SQL text: Kysely prepares every query anew, and preparing costs
 * more than running a small statement.
 */
function cachingDatabase(sqlite: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string): SqliteStatement {
      let statement = cache.get(text);
      if (!statement) {
        statement = sqlite.prepare(text) as unknown as SqliteStatement;
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value ?? '');
        cache.set(text, statement);
      }
      return statement;
    },
  };
}

/**
 * Starts transactions with `BEGIN IMMEDIATE`: a deferred transaction that reads and then writes
 * fails with SQLITE_BUSY when another process wrote in between, instead of waiting its turn.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}
