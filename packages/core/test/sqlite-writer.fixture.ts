/**
 * A second process for `sqlite-store.int.test.ts`: increments a shared step's version with
 * compare-and-set (retrying on STORE_CONFLICT) and registers model versions. Creates the
 * execution and step when missing.
 * Usage: tsx sqlite-writer.fixture.ts <db path> <execution id> <iterations>
 */
import { ErrorCode, OrchestratorError, SqliteStore } from '../src/index.js';
import { TEST_ARN_PREFIX, makeExecutionRecord, makeStepRecord } from '../src/testing/index.js';

const [path = '', executionId = '', iterations = '0'] = process.argv.slice(2);
const store = await SqliteStore.open({ path });
let conflicts = 0;
// Both processes start on a fresh file: whichever comes second finds the records there.
const ignoreConflict = (err: unknown) => {
  if (!(err instanceof OrchestratorError && err.code === ErrorCode.StoreConflict)) throw err;
};
await store.createExecution(makeExecutionRecord({ id: executionId })).catch(ignoreConflict);
await store.commit({ steps: [makeStepRecord(executionId, 'Counter')] }).catch(ignoreConflict);
for (let i = 0; i < Number(iterations); i++) {
  for (;;) {
    const step = await store.getStepExecution(executionId, 'Counter');
    if (!step) throw new Error('Counter step missing');
    try {
      await store.commit({ steps: [{ ...step, version: step.version + 1, attempt: step.attempt + 1 }] });
      break;
    } catch (err) {
      ignoreConflict(err);
      conflicts++;
    }
  }
  await store.createModelPackage({ request: { ModelPackageGroupName: 'Shared' }, createdBy: `pid-${process.pid}`, arnPrefix: TEST_ARN_PREFIX, now: i });
}
await store.close();
process.stdout.write(JSON.stringify({ conflicts }));
