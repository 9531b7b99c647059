import { ErrorCode, OrchestratorError, type ExecutionRecord, type ExecutionStore } from '@cairn/core';

/** The execution id of an id or an execution ARN (`…:pipeline/<name>/execution/<id>`). */
export function executionIdOf(ref: string): string {
  const at = ref.lastIndexOf('/execution/');
  return at === -1 ? ref : ref.slice(at + '/execution/'.length);
}

/** Reads an execution by id or ARN; `EXECUTION_NOT_FOUND` when the store has none. */
export async function findExecution(store: ExecutionStore, ref: string): Promise<ExecutionRecord> {
  const record = await store.getExecution(executionIdOf(ref));
  if (!record) {
    throw new OrchestratorError(ErrorCode.ExecutionNotFound, `No execution "${ref}" in this workspace's store.`, {
      fix: 'list executions with `cairn executions list` (and pass the same --config / --database as the run).',
    });
  }
  return record;
}
