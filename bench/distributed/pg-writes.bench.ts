/**
 * PostgreSQL's CPU per step for the writes the distributed runtime makes for each no-op step of a
 * fan-out: the step's first write (inserted, Starting), its second (updated to Succeeded), and its
 * lineage (one Action entity and one AssociatedWith association). 10,000 steps in batches of 300,
 * as a group commit and a lineage tick write them. Three set-ups, each in its own schema, measured
 * in the same run, alternately, `BENCH_ROUNDS` (3) times; each phase's median over the rounds is
 * reported, and `after / before` ratios:
 *
 * - `before`: the layout and statements of the previous release (commit ec37f43): the partial cache
 *   index on `step_executions`, fillfactor 100, the statements copied below;
 * - `layout`: the current layout (migration 0003) with the previous statements, to tell the layout's
 *   share from the statements';
 * - `after`: the current `PostgresStore` (`commit`, `writeLineage`).
 *
 * CPU: the run time of the backends serving the set-up's connections (/proc/<pid>/schedstat; they
 * connect with their own `application_name`), the main figure; and, as the distributed bench reads
 * it, every process named `postgres` (WAL writer, checkpointer, autovacuum and other clients'
 * backends included; 10 ms ticks), which a busy machine makes noisy. Also reported: HOT updates of
 * `step_executions`, the size of its table and indexes, and the CPU of the `vacuum` its writes
 * leave to do (autovacuum is off on that table, and a `vacuum` runs after the writes).
 * Run: `node --conditions=@cairn/source --import tsx bench/distributed/pg-writes.bench.ts [steps=10000] [batch=300]`
 * (`DATABASE_URL`, default the local server; `BENCH_VERBOSE=1` prints every round on stderr).
 * Prints one JSON line, then a summary; no assertions.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { PostgresStore, type LineageEntity, type LineageAssociation, type StepExecutionRecord } from '@cairn/core';
import { LOCAL_DATABASE_URL, createSchema, dropSchema } from '@cairn/test-support/postgres-server';

const [STEPS = 10_000, BATCH = 300] = process.argv.slice(2).map(Number);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const databaseUrl = process.env['DATABASE_URL'] ?? LOCAL_DATABASE_URL;
const ARN = 'arn:aws:sagemaker:us-east-1:000000000000';

/** The previous release's step upsert (commit ec37f43, `PG_STEP_UPSERT`). */
const BEFORE_STEP_UPSERT = `insert into step_executions (execution_id, step_name, status, cache_key, end_time, updated_at, version, record)
select r->>'executionId', r->>'stepName', r->>'status', r->>'cacheKey', (r->>'endTime')::bigint, (r->>'updatedAt')::bigint, (r->>'version')::integer, r
from jsonb_array_elements($1::jsonb) as r
where (r->>'version')::integer = 1
  or exists (select 1 from step_executions s where s.execution_id = r->>'executionId' and s.step_name = r->>'stepName')
on conflict (execution_id, step_name) do update set status = excluded.status, cache_key = excluded.cache_key, end_time = excluded.end_time,
  updated_at = excluded.updated_at, version = excluded.version, record = excluded.record
where step_executions.version = excluded.version - 1`;

/** The previous release's lineage statements (`PG_ENTITY_INSERT`, `PG_ASSOCIATION_INSERT`), one transaction per write. */
const BEFORE_ENTITY_INSERT = `insert into lineage_entities (arn, kind, name, type, source_uri, digest, properties, created_at)
select r->>'arn', r->>'kind', r->>'name', r->>'type', r->>'sourceUri', r->'digest', r->'properties', (r->>'createdAt')::bigint
from jsonb_array_elements($1::jsonb) as r
on conflict do nothing
returning arn`;
const BEFORE_ASSOCIATION_INSERT = `insert into lineage_associations (source_arn, destination_arn, type, created_at)
select r."sourceArn", r."destinationArn", r.type, r."createdAt"
from jsonb_to_recordset($1::jsonb) as r("sourceArn" text, "destinationArn" text, type text, "createdAt" bigint)
on conflict do nothing`;

/** What a set-up does with one batch. */
interface Writer {
  commit(steps: StepExecutionRecord[]): Promise<void>;
  writeLineage(entities: LineageEntity[], associations: LineageAssociation[]): Promise<void>;
  close(): Promise<void>;
}

type SetUp = 'before' | 'layout' | 'after';
const SET_UPS: readonly SetUp[] = ['before', 'layout', 'after'];

/**
 * Per step, in µs, for each phase: CPU of the backends serving the writes (precise: scheduler run
 * time), CPU of every PostgreSQL process (10 ms ticks; WAL writer, checkpointer, autovacuum and other
 * clients' backends included) and wall time.
 */
interface Phase {
  pgUs: number;
  allPgUs: number;
  wallUs: number;
}
interface Round {
  setUp: SetUp;
  insert: Phase;
  update: Phase;
  lineage: Phase;
  /** CPU (µs per step) of the `vacuum step_executions` the writes left to do, run after them. */
  vacuumPgUs: number;
  totalPgUs: number;
  hotUpdates: number;
  updates: number;
  stepTableKiB: number;
}

/** CPU time (µs) used so far by the live processes named `postgres` (/proc, USER_HZ 100: 10 ms ticks). */
function postgresCpuUs(): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * 10_000;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** Time (µs) a process ran on a CPU so far (/proc/<pid>/schedstat, in ns), or undefined once it is gone. */
function runTimeUs(pid: number): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
  } catch {
    return undefined;
  }
}

/** The CPU time (µs) so far of each backend serving this round's pools (they connect as `PGAPPNAME`). */
async function backendsUs(admin: pg.Client, applicationName: string): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [applicationName]);
  return new Map(rows.flatMap(({ pid }) => (runTimeUs(pid) === undefined ? [] : [[pid, runTimeUs(pid)!] as const])));
}

/** A step record of the shape the coordinator writes for a no-op Lambda step. */
function stepRecord(executionId: string, i: number, version: 1 | 2, now: number): StepExecutionRecord {
  const base = {
    executionId,
    stepName: `middle-${i}`,
    stepType: 'Lambda',
    attempt: 1,
    startTime: now,
    updatedAt: now,
    version,
    resolvedArguments: { FunctionArn: 'noop', OutputParameters: [] },
    executorId: 'lambda',
  };
  return (
    version === 1
      ? { ...base, status: 'Starting' }
      : { ...base, status: 'Succeeded', endTime: now, properties: { OutputParameters: {} }, metadata: { Lambda: { Arn: 'noop' } } }
  ) as StepExecutionRecord;
}

/** The lineage the observer writes for a finished step: its Action and the action's association with the execution's context. */
function lineage(executionId: string, i: number, now: number): { entity: LineageEntity; association: LineageAssociation } {
  const actionArn = `${ARN}:action/${executionId}-middle-${i}`;
  return {
    entity: {
      arn: actionArn,
      kind: 'Action',
      name: `middle-${i}`,
      type: 'Lambda',
      sourceUri: `${ARN}:pipeline/p/execution/${executionId}/step/middle-${i}`,
      properties: { StepName: `middle-${i}`, StepType: 'Lambda', Status: 'Succeeded', Attempt: 1, ExecutionArn: `${ARN}:pipeline/p/execution/${executionId}` },
      createdAt: now,
    } as LineageEntity,
    association: { sourceArn: actionArn, destinationArn: `${ARN}:context/p-${executionId}`, type: 'AssociatedWith', createdAt: now } as LineageAssociation,
  };
}

/** The previous release's statements on a pool of their own (one transaction per batch, as the store ran them). */
function statementWriter(schema: string): Writer {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2, options: `-c search_path=${schema}` });
  const inTransaction = async (fn: (client: pg.PoolClient) => Promise<void>) => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      await fn(client);
      await client.query('commit');
    } finally {
      client.release();
    }
  };
  return {
    commit: (steps) => inTransaction(async (c) => void (await c.query(BEFORE_STEP_UPSERT, [JSON.stringify(steps)]))),
    writeLineage: (entities, associations) =>
      inTransaction(async (c) => {
        await c.query(BEFORE_ENTITY_INSERT, [JSON.stringify(entities)]);
        await c.query(BEFORE_ASSOCIATION_INSERT, [JSON.stringify(associations)]);
      }),
    close: () => pool.end(),
  };
}

async function setUp(kind: SetUp, schema: string): Promise<{ store: PostgresStore; writer: Writer; admin: pg.Client }> {
  const store = await PostgresStore.open({ connectionString: databaseUrl, schema, maxConnections: 2 });
  const admin = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${schema}`, application_name: 'pg-writes-admin' });
  await admin.connect();
  // The vacuum that the updates leave to do is measured after the writes, not whenever autovacuum runs.
  await admin.query('alter table step_executions set (autovacuum_enabled = off)');
  if (kind === 'before') {
    // The layout before migration 0003.
    await admin.query('drop table step_cache_entries');
    await admin.query(`create index step_executions_cache on step_executions (step_name, cache_key, end_time) where status = 'Succeeded'`);
    await admin.query('alter table step_executions reset (fillfactor)');
  }
  const writer: Writer =
    kind === 'after'
      ? {
          commit: (steps) => store.commit({ steps }),
          writeLineage: async (entities, associations) => void (await store.writeLineage({ entities, associations })),
          close: async () => {},
        }
      : statementWriter(schema);
  return { store, writer, admin };
}

/** Waits for closed backends to exit (they publish their statistics as they exit). */
const settle = () => new Promise((r) => setTimeout(r, 300));

async function phase(admin: pg.Client, applicationName: string, fn: (from: number, n: number) => Promise<void>): Promise<Phase> {
  const backends0 = await backendsUs(admin, applicationName);
  const all0 = postgresCpuUs();
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i += BATCH) await fn(i, Math.min(BATCH, STEPS - i));
  const wallUs = ((performance.now() - t0) * 1000) / STEPS;
  const all = postgresCpuUs() - all0;
  let backends = 0;
  // A backend that connected meanwhile counts whole; one that exited meanwhile is missed (pools keep theirs for 10 s).
  for (const [pid, us] of await backendsUs(admin, applicationName)) backends += us - (backends0.get(pid) ?? 0);
  return { pgUs: backends / STEPS, allPgUs: all / STEPS, wallUs };
}

async function round(kind: SetUp): Promise<Round> {
  const schema = await createSchema(databaseUrl);
  const applicationName = `pg-writes-${process.pid}-${kind}`;
  process.env['PGAPPNAME'] = applicationName;
  const { store, writer, admin } = await setUp(kind, schema);
  try {
    const executionId = `bench${kind}`.slice(0, 12);
    const now = Date.now();
    await store.createExecution({
      id: executionId,
      arn: `${ARN}:pipeline/p/execution/${executionId}`,
      pipelineName: 'p',
      pipelineArn: `${ARN}:pipeline/p`,
      pipelineVersion: 1,
      definition: '{}',
      runtime: 'distributed',
      status: 'Executing',
      parameters: {},
      createdAt: now,
      updatedAt: now,
      version: 1,
    });
    const range = (from: number, n: number) => Array.from({ length: n }, (_, k) => from + k);
    const insert = await phase(admin, applicationName, (from, n) => writer.commit(range(from, n).map((i) => stepRecord(executionId, i, 1, now))));
    const update = await phase(admin, applicationName, (from, n) => writer.commit(range(from, n).map((i) => stepRecord(executionId, i, 2, now))));
    const lineageWrites = await phase(admin, applicationName, (from, n) => {
      const items = range(from, n).map((i) => lineage(executionId, i, now));
      return writer.writeLineage(
        items.map((x) => x.entity),
        items.map((x) => x.association),
      );
    });
    // Backends send their statistics when they exit (or go idle for a while): close them first.
    await writer.close();
    await store.close();
    await settle();
    const stats = await admin.query<{ hot: string; upd: string; kib: string }>(
      `select n_tup_hot_upd as hot, n_tup_upd as upd, pg_total_relation_size('step_executions') / 1024 as kib
       from pg_stat_user_tables where schemaname = current_schema() and relname = 'step_executions'`,
    );
    const row = stats.rows[0]!;
    const { rows: self } = await admin.query<{ pid: number }>('select pg_backend_pid() as pid');
    const vacuum0 = runTimeUs(self[0]!.pid)!;
    await admin.query('vacuum step_executions');
    const vacuumPgUs = (runTimeUs(self[0]!.pid)! - vacuum0) / STEPS;
    return {
      setUp: kind,
      insert,
      update,
      lineage: lineageWrites,
      vacuumPgUs,
      totalPgUs: insert.pgUs + update.pgUs + lineageWrites.pgUs + vacuumPgUs,
      hotUpdates: Number(row.hot),
      updates: Number(row.upd),
      stepTableKiB: Number(row.kib),
    };
  } finally {
    await admin.end();
    await dropSchema(databaseUrl, schema);
  }
}


const rounds = new Map<SetUp, Round[]>(SET_UPS.map((s) => [s, []]));
// One unmeasured round first (server caches, JIT of the client).
await round('after');
for (let r = 0; r < ROUNDS; r++) {
  // Alternate the order so that no set-up always follows another.
  const order = r % 2 === 0 ? SET_UPS : [...SET_UPS].reverse();
  for (const kind of order) {
    const result = await round(kind);
    rounds.get(kind)!.push(result);
    if (process.env['BENCH_VERBOSE']) console.error(JSON.stringify(result));
  }
}

const PHASES = ['insert', 'update', 'lineage'] as const;
const median = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
const r1 = (n: number) => Math.round(n * 10) / 10;
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
/** Per set-up: the median over rounds of each phase's figures (µs per step), and the last round's table statistics. */
const results = Object.fromEntries(
  SET_UPS.map((s) => {
    const all = rounds.get(s)!;
    const last = all[all.length - 1]!;
    const phases = Object.fromEntries(
      PHASES.map((p) => [p, { pgUs: r1(median(all.map((x) => x[p].pgUs))), allPgUs: r1(median(all.map((x) => x[p].allPgUs))), wallUs: r1(median(all.map((x) => x[p].wallUs))) }]),
    ) as Record<(typeof PHASES)[number], Phase>;
    const vacuumPgUs = r1(median(all.map((x) => x.vacuumPgUs)));
    const totalPgUs = r1(PHASES.reduce((sum, p) => sum + phases[p].pgUs, vacuumPgUs));
    const totalAllPgUs = r1(PHASES.reduce((sum, p) => sum + phases[p].allPgUs, 0));
    return [s, { ...phases, vacuumPgUs, totalPgUs, totalAllPgUs, roundTotalsPgUs: all.map((x) => r1(x.totalPgUs)), hotUpdates: last.hotUpdates, updates: last.updates, stepTableKiB: last.stepTableKiB }];
  }),
) as Record<SetUp, Record<(typeof PHASES)[number], Phase> & { vacuumPgUs: number; totalPgUs: number; totalAllPgUs: number; roundTotalsPgUs: number[]; hotUpdates: number; updates: number; stepTableKiB: number }>;
const afterOverBefore = {
  ...Object.fromEntries(PHASES.map((p) => [p, ratio(results.after[p].pgUs, results.before[p].pgUs)])),
  vacuum: ratio(results.after.vacuumPgUs, results.before.vacuumPgUs),
  total: ratio(results.after.totalPgUs, results.before.totalPgUs),
  totalAllProcesses: ratio(results.after.totalAllPgUs, results.before.totalAllPgUs),
};
console.log(JSON.stringify({ bench: 'pg-writes', steps: STEPS, batch: BATCH, rounds: ROUNDS, ...results, afterOverBefore }));
for (const s of SET_UPS) {
  const b = results[s];
  console.log(
    `${s.padEnd(7)} backends µs/step: insert ${b.insert.pgUs}, update ${b.update.pgUs}, lineage ${b.lineage.pgUs}, vacuum ${b.vacuumPgUs}, total ${b.totalPgUs}` +
      ` (all PostgreSQL processes ${b.totalAllPgUs}; HOT ${b.hotUpdates}/${b.updates} updates; step table ${b.stepTableKiB} KiB)`,
  );
}
console.log(`after / before: ${JSON.stringify(afterOverBefore)}`);
