import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { ErrorCode, OrchestratorError } from '../../errors.js';

/** The SQL dialects Cairn stores run on. @internal */
export type SqlDialectName = 'sqlite' | 'postgres';

/**
 * Versioned schema migrations, in code. Never edit a released migration: add the next one.
 * JSON is `text` in SQLite and `jsonb` in PostgreSQL; times are epoch milliseconds (`bigint`).
 * @internal
 */
export function cairnMigrations(dialect: SqlDialectName): Record<string, Migration> {
  const json = dialect === 'postgres' ? 'jsonb' : 'text';
  return {
    '0001_initial': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('pipelines')
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('arn', 'text', (c) => c.notNull())
          .addColumn('definition', 'text', (c) => c.notNull())
          .addColumn('description', 'text')
          .addColumn('display_name', 'text')
          .addColumn('role_arn', 'text')
          .addColumn('max_parallel_execution_steps', 'integer')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('pipelines_pk', ['name', 'version'])
          .execute();

        await db.schema
          .createTable('executions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('arn', 'text', (c) => c.notNull())
          .addColumn('pipeline_name', 'text', (c) => c.notNull())
          .addColumn('pipeline_arn', 'text', (c) => c.notNull())
          .addColumn('pipeline_version', 'integer', (c) => c.notNull())
          .addColumn('definition', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('display_name', 'text')
          .addColumn('description', 'text')
          .addColumn('parameters', sql.raw(json), (c) => c.notNull())
          .addColumn('max_parallel_execution_steps', 'integer')
          .addColumn('selective_execution', sql.raw(json))
          .addColumn('failure_reason', 'text')
          .addColumn('runtime', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addColumn('ended_at', 'bigint')
          .addColumn('version', 'integer', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('executions_by_pipeline').on('executions').columns(['pipeline_name', 'created_at']).execute();
        await db.schema.createIndex('executions_by_status').on('executions').columns(['status', 'created_at']).execute();

        await db.schema
          .createTable('step_executions')
          .addColumn('execution_id', 'text', (c) => c.notNull())
          .addColumn('step_name', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('cache_key', 'text')
          .addColumn('end_time', 'bigint')
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('record', sql.raw(json), (c) => c.notNull())
          .addPrimaryKeyConstraint('step_executions_pk', ['execution_id', 'step_name'])
          // SQLite: cluster rows on the key instead of keeping a rowid table plus a key index.
          .$call((t) => (dialect === 'sqlite' ? t.modifyEnd(sql`without rowid`) : t))
          .execute();
        await db.schema
          .createIndex('step_executions_cache')
          .on('step_executions')
          .columns(['step_name', 'cache_key', 'end_time'])
          .where(sql.ref('status'), '=', 'Succeeded')
          .execute();

        await db.schema
          .createTable('callback_tokens')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('execution_id', 'text', (c) => c.notNull())
          .addColumn('step_name', 'text', (c) => c.notNull())
          .addColumn('attempt', 'integer', (c) => c.notNull())
          .addColumn('output_parameters', sql.raw(json), (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('redeemed_at', 'bigint')
          .addColumn('outcome', 'text')
          .addColumn('outputs', sql.raw(json))
          .addColumn('failure_reason', 'text')
          .execute();

        await db.schema
          .createTable('model_package_groups')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('arn', 'text', (c) => c.notNull())
          .addColumn('description', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('latest_version', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();

        await db.schema
          .createTable('model_packages')
          .addColumn('arn', 'text', (c) => c.primaryKey())
          .addColumn('group_name', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('approval_status', 'text', (c) => c.notNull())
          .addColumn('description', sql.raw(json), (c) => c.notNull())
          .addColumn('execution_arn', 'text')
          .addColumn('step_name', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addUniqueConstraint('model_packages_group_version', ['group_name', 'version'])
          .execute();
        await db.schema.createIndex('model_packages_by_status').on('model_packages').columns(['group_name', 'approval_status']).execute();

        await db.schema
          .createTable('approval_changes')
          .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
            dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('model_package_arn', 'text', (c) => c.notNull())
          .addColumn('from_status', 'text')
          .addColumn('to_status', 'text', (c) => c.notNull())
          .addColumn('changed_by', 'text', (c) => c.notNull())
          .addColumn('reason', 'text')
          .addColumn('at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('approval_changes_by_package').on('approval_changes').columns(['model_package_arn', 'id']).execute();

        await db.schema
          .createTable('lineage_entities')
          .addColumn('arn', 'text', (c) => c.primaryKey())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('source_uri', 'text')
          .addColumn('digest', sql.raw(json))
          .addColumn('properties', sql.raw(json))
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('lineage_artifacts_by_uri')
          .unique()
          .on('lineage_entities')
          .column('source_uri')
          .where(sql.ref('kind'), '=', 'Artifact')
          .execute();

        await db.schema
          .createTable('lineage_associations')
          .addColumn('source_arn', 'text', (c) => c.notNull())
          .addColumn('destination_arn', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('lineage_associations_pk', ['source_arn', 'destination_arn'])
          .execute();
        await db.schema.createIndex('lineage_associations_by_destination').on('lineage_associations').column('destination_arn').execute();
      },
    },
    '0002_event_outbox': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('events')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('detail_type', 'text', (c) => c.notNull())
          .addColumn('envelope', sql.raw(json), (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('event_deliveries')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('event_id', 'text', (c) => c.notNull())
          .addColumn('sink_id', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
          .addColumn('last_error', 'text')
          .addColumn('last_status_code', 'integer')
          .addColumn('delivered_at', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('event_deliveries_due').on('event_deliveries').columns(['status', 'next_attempt_at']).execute();
        await db.schema.createIndex('event_deliveries_by_event').on('event_deliveries').columns(['event_id', 'created_at']).execute();
      },
    },
    '0003_step_cache_entries': {
      // The cache index on step_executions named `status` and `end_time`, which a step's second
      // write changes, so no update of a step was HOT in PostgreSQL (each one added entries to every
      // index). Cache hits now come from a narrow table written only for steps that succeed with a
      // cache key (most steps have none); step updates touch no indexed column, and PostgreSQL
      // leaves room on each page (fillfactor) for them to stay on it.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('step_cache_entries')
          .addColumn('step_name', 'text', (c) => c.notNull())
          .addColumn('cache_key', 'text', (c) => c.notNull())
          .addColumn('end_time', 'bigint', (c) => c.notNull())
          .addColumn('execution_id', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('step_cache_entries_pk', ['step_name', 'cache_key', 'end_time', 'execution_id'])
          .$call((t) => (dialect === 'sqlite' ? t.modifyEnd(sql`without rowid`) : t))
          .execute();
        await sql`insert into step_cache_entries (step_name, cache_key, end_time, execution_id)
          select step_name, cache_key, end_time, execution_id from step_executions
          where status = 'Succeeded' and cache_key is not null and end_time is not null`.execute(db);
        await db.schema.dropIndex('step_executions_cache').execute();
        // Inserts fill 40 % of a page; the rest takes the next versions of its rows. A step is
        // written 2-4 times and its record grows (a no-op step's second is 1.6 times its first),
        // and a group commit's new versions must fit beside the old ones, still visible until it ends.
        if (dialect === 'postgres') await sql`alter table step_executions set (fillfactor = 40)`.execute(db);
      },
    },
    '0004_fences': {
      // Fencing tokens: a scheduler that takes over advances its fence's term, and its commits
      // carry that term, so a scheduler that lost leadership (a pause, a partition) cannot commit.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('fences')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('term', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    '0005_callback_tokens_by_step': {
      // A Callback step's poll reads every token of its attempt (listCallbackTokens).
      async up(db: Kysely<unknown>) {
        await db.schema.createIndex('callback_tokens_by_step').on('callback_tokens').columns(['execution_id', 'step_name', 'attempt']).execute();
      },
    },
    '0006_events_by_created_at': {
      // Retention (`pruneEvents`) takes the oldest events in batches: without this index each batch
      // read and sorted every event older than the cutoff (PostgreSQL, 200,000 events: 112 ms per
      // batch of 1,000, growing with the table; with it, 16 ms).
      async up(db: Kysely<unknown>) {
        await db.schema.createIndex('events_by_created_at').on('events').column('created_at').execute();
      },
    },
  };
}

/** PostgreSQL's invalid_schema_name: Kysely's table introspection reads every schema, and fails when another client drops one meanwhile. */
const PG_INVALID_SCHEMA_NAME = '3F000';
const MIGRATION_ATTEMPTS = 5;

/** Applies every pending migration; throws `INTERNAL` naming the migration that failed. @internal */
export async function migrateToLatest(db: Kysely<unknown>, dialect: SqlDialectName, schema?: string): Promise<string[]> {
  const migrations = cairnMigrations(dialect);
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  for (let attempt = 1; ; attempt++) {
    const { error, results = [] } = await migrator.migrateToLatest();
    if (!error) return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
    if (attempt < MIGRATION_ATTEMPTS && (error as { code?: unknown }).code === PG_INVALID_SCHEMA_NAME) continue;
    const failed = results.find((r) => r.status === 'Error')?.migrationName ?? 'setup';
    throw new OrchestratorError(ErrorCode.Internal, `Store migration "${failed}" failed: ${String(error)}.`, {
      cause: error,
      fix: 'check that the database is reachable and writable, and that no newer Cairn version migrated it.',
    });
  }
}
