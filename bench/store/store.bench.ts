/**
 * Store write benchmark: step rows per second through `commit` for SQLite (temp file, WAL) and
 * PostgreSQL (`DATABASE_URL` or the local server, a throw-away schema).
 * Run: `node --conditions=@cairn/source --import tsx bench/store/store.bench.ts`.
 *
 * Workloads, each over 10,000 steps making three writes (Starting → Executing → Succeeded, as
 * the engine does): batches of 1,000 steps, batches of 10, and (over 1,000 steps) one step per
 * commit with an execution patch, the worst case.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PostgresStore, SqliteStore, type CairnStore, type StepExecutionRecord } from '@cairn/core';
import { makeExecutionRecord, makeStepRecord } from '@cairn/core/testing';
import { createSchema, dropSchema, startPostgres } from '@cairn/test-support/postgres-server';

const STEPS = 10_000;
const STATUSES = ['Starting', 'Executing', 'Succeeded'] as const;

function step(executionId: string, i: number, version: number): StepExecutionRecord {
  return makeStepRecord(executionId, `Step${i}`, {
    status: STATUSES[version - 1] ?? 'Succeeded',
    version,
    startTime: 1_000,
    resolvedArguments: { AppSpecification: { ImageUri: 'noop:latest' }, Environment: { INDEX: String(i) } },
    ...(version === 3 ? { endTime: 2_000, properties: { ProcessingJobStatus: 'Completed' }, metadata: { ProcessingJob: { Arn: `arn:job/${i}` } } } : {}),
  });
}

/**
 * Writes every step three times in batches of `batch`; returns rows per second of wall time and
 * of this process's CPU time (the fairer figure on a shared, loaded machine; for SQLite it
 * includes the database work, for PostgreSQL only the client's).
 */
async function measure(store: CairnStore, batch: number, patchExecution: boolean, steps = STEPS): Promise<{ wall: number; cpu: number }> {
  const execution = makeExecutionRecord();
  await store.createExecution(execution);
  let executionVersion = execution.version;
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  for (let version = 1; version <= 3; version++) {
    for (let from = 0; from < steps; from += batch) {
      const records = Array.from({ length: Math.min(batch, steps - from) }, (_, k) => step(execution.id, from + k, version));
      await store.commit({
        steps: records,
        ...(patchExecution ? { executions: [{ id: execution.id, patch: { updatedAt: from }, expectedVersion: executionVersion++ }] } : {}),
      });
    }
  }
  const cpu = process.cpuUsage(cpuStarted);
  const rows = 3 * steps;
  return { wall: Math.round(rows / ((performance.now() - started) / 1000)), cpu: Math.round(rows / ((cpu.user + cpu.system) / 1e6)) };
}

async function run(name: string, store: CairnStore): Promise<void> {
  const batch1000 = await measure(store, 1000, false);
  const batch10 = await measure(store, 10, false);
  const batch1WithPatch = await measure(store, 1, true, 1_000);
  const result = { bench: 'store', store: name, steps: STEPS, rowsPerSec: { batch1000, batch10, batch1WithPatch }, loadAverage1m: loadavg()[0] };
  console.log(JSON.stringify(result));
}

const dir = mkdtempSync(join(tmpdir(), 'cairn-store-bench-'));
const sqlite = await SqliteStore.open({ path: join(dir, 'cairn.db') });
try {
  await run('sqlite', sqlite);
} finally {
  await sqlite.close();
  rmSync(dir, { recursive: true, force: true });
}

const server = await startPostgres();
const schema = await createSchema(server.url);
const postgres = await PostgresStore.open({ connectionString: server.url, schema });
try {
  await run('postgres', postgres);
} finally {
  await postgres.close();
  await dropSchema(server.url, schema);
  await server.stop();
}
