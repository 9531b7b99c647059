import type BetterSqlite3 from 'better-sqlite3';
import type { ExecutionPatch, StoreBatch } from '../execution-store.js';
import { checkFence } from '../fence.js';
import { checkStepVersion, executionConflict, executionNotFound, planStepWrites, type PlannedStepWrite } from '../store-support.js';
import { executionRows, stepCacheEntry, stepToRow } from './rows.js';

/** Column values of a step row, in the order of the step statements below. */
type StepValues = [status: string, cacheKey: string | null, endTime: number | null, updatedAt: number, version: number, record: string];

/**
 * `commit` for SQLite straight on better-sqlite3: statements prepared once, one synchronous
 * `BEGIN IMMEDIATE` transaction per batch, no query builder and no promise per statement (the
 * embedded runtime commits once per step of a chain, so this is its hot path). Compare-and-set
 * as in `SqlStore.commit`: a new step is inserted only when absent, an existing one updated only
 * at its expected version; any mismatch rolls the whole batch back with STORE_CONFLICT (a fence
 * whose term is not the batch's: FENCED).
 * @internal
 */
export class SqliteCommitPath {
  private readonly insertStep: BetterSqlite3.Statement<[string, string, ...StepValues]>;
  private readonly updateStep: BetterSqlite3.Statement<[...StepValues, string, string, number]>;
  private readonly insertCacheEntry: BetterSqlite3.Statement<[string, string, number, string]>;
  private readonly stepVersion: BetterSqlite3.Statement<[string, string], { version: number }>;
  private readonly executionVersion: BetterSqlite3.Statement<[string], { version: number }>;
  private readonly fenceTerm: BetterSqlite3.Statement<[string], { term: number }>;
  /** Execution patch statements by the columns they set (patches come in few shapes). */
  private readonly patches = new Map<string, BetterSqlite3.Statement<unknown[]>>();
  private readonly run: (batch: StoreBatch) => void;

  constructor(private readonly sqlite: BetterSqlite3.Database) {
    this.insertStep = sqlite.prepare(
      'insert into step_executions (execution_id, step_name, status, cache_key, end_time, updated_at, version, record) values (?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing',
    );
    this.updateStep = sqlite.prepare(
      'update step_executions set status = ?, cache_key = ?, end_time = ?, updated_at = ?, version = ?, record = ? where execution_id = ? and step_name = ? and version = ?',
    );
    this.insertCacheEntry = sqlite.prepare(
      'insert into step_cache_entries (step_name, cache_key, end_time, execution_id) values (?, ?, ?, ?) on conflict do nothing',
    );
    this.stepVersion = sqlite.prepare('select version from step_executions where execution_id = ? and step_name = ?');
    this.executionVersion = sqlite.prepare('select version from executions where id = ?');
    this.fenceTerm = sqlite.prepare('select term from fences where name = ?');
    this.run = sqlite.transaction((batch: StoreBatch) => this.apply(batch)).immediate;
  }

  /**
   * Commits `batch` at once and returns true; returns false (having done nothing) while another
   * transaction is open on the connection (Kysely's), so the caller queues the batch behind it.
   */
  tryCommit(batch: StoreBatch): boolean {
    if (this.sqlite.inTransaction) return false;
    this.run(batch);
    return true;
  }

  private apply(batch: StoreBatch): void {
    // Inside the immediate transaction: no advance can come between this check and the commit.
    if (batch.fence) checkFence(batch.fence, this.fenceTerm.get(batch.fence.name)?.term);
    for (const write of planStepWrites(batch.steps)) this.writeStep(write);
    for (const patch of batch.executions ?? []) this.patchExecution(patch);
  }

  private writeStep(write: PlannedStepWrite): void {
    const row = stepToRow(write.record);
    const values: StepValues = [row.status, row.cache_key, row.end_time, row.updated_at, row.version, row.record];
    const { changes } =
      write.expectedVersion === 0
        ? this.insertStep.run(row.execution_id, row.step_name, ...values)
        : this.updateStep.run(...values, row.execution_id, row.step_name, write.expectedVersion);
    if (changes !== 1) checkStepVersion(write, this.stepVersion.get(row.execution_id, row.step_name)?.version);
    const entry = stepCacheEntry(write.record);
    if (entry) this.insertCacheEntry.run(entry.step_name, entry.cache_key, entry.end_time, entry.execution_id);
  }

  private patchExecution({ id, patch, expectedVersion }: ExecutionPatch): void {
    const values = executionRows.toRow(patch) as Record<string, unknown>;
    delete values['id'];
    delete values['version'];
    const columns = Object.keys(values);
    const guarded = expectedVersion !== undefined;
    const { changes } = this.patchStatement(columns, guarded).run(...columns.map((c) => values[c]), id, ...(guarded ? [expectedVersion] : []));
    if (changes === 1) return;
    const current = this.executionVersion.get(id);
    throw current ? executionConflict(id, expectedVersion ?? 0, current.version) : executionNotFound(id);
  }

  private patchStatement(columns: readonly string[], guarded: boolean): BetterSqlite3.Statement<unknown[]> {
    const key = `${columns.join(',')}|${guarded}`;
    let statement = this.patches.get(key);
    if (!statement) {
      // Column names come from the fixed record ↔ row mapping, never from data.
      const set = [...columns.map((c) => `${c} = ?`), 'version = version + 1'].join(', ');
      statement = this.sqlite.prepare(`update executions set ${set} where id = ?${guarded ? ' and version = ?' : ''}`);
      this.patches.set(key, statement);
    }
    return statement;
  }
}
