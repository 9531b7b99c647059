import { toDescribePipelineExecution, type CallbackMessage, type ExecutionRecord } from '@cairn/core';
import type { ExecutionRuntime } from '../cluster-client.js';
import type { CliEnv } from './env.js';
import { ExitCode } from './exit.js';
import { formatDuration, writeJson, writeLine } from './output.js';
import { pipelineExecutionSteps } from './shapes.js';
import { liveProgress, plainProgress, type ProgressView } from './progress.js';

/** How `run` and `retry` show an execution they drive. */
export interface FollowOptions {
  /** Print only the final execution and its steps as JSON. */
  json?: boolean;
  /** Show progress (a live table on a terminal, plain lines otherwise). */
  progress: boolean;
}

/**
 * Starts (or retries) an execution with `begin`, shows its progress until it ends, prints the
 * result and returns the exit code: 0 Succeeded, 1 Failed or Stopped, 130 after a second Ctrl-C.
 * The first Ctrl-C stops the execution gracefully.
 */
export async function followExecution(env: CliEnv, begin: (runtime: ExecutionRuntime) => Promise<ExecutionRecord>, options: FollowOptions): Promise<ExitCode> {
  const runtime = await env.runtime();
  // Subscribe before starting, so nothing is missed; replay what came early once the view exists.
  const early: ((view: ProgressView) => void)[] = [];
  let view: ProgressView | undefined;
  const show = (action: (view: ProgressView) => void) => (view ? action(view) : early.push(action));
  const unsubscribe = runtime.on((event) => show((v) => v.update(event)));
  const unCallback = env.onCallback((message) => show((v) => v.note(callbackInstructions(message))));
  try {
    const started = await begin(runtime);
    view = createView(env, started, options);
    for (const action of early.splice(0)) action(view);
    const outcome = await waitOrInterrupt(env, runtime, started.id, view);
    view.finish();
    if (outcome === 'interrupted') return ExitCode.Interrupted;
    await printResult(env, outcome, options);
    return outcome.status === 'Succeeded' ? ExitCode.Ok : ExitCode.Failed;
  } finally {
    view?.finish();
    unCallback();
    unsubscribe();
  }
}

/** The progress view of a followed execution: a live table on a terminal, plain lines otherwise, notes only with --json or --no-progress. */
export function createView(env: CliEnv, execution: ExecutionRecord, options: FollowOptions): ProgressView {
  const { stdout, stderr } = env.io;
  if (options.json || !options.progress) {
    const notes = options.json ? stderr : stdout;
    if (!options.json) writeLine(stdout, `Started execution ${execution.id} of ${execution.pipelineName}.`);
    return { update() {}, note: (text) => writeLine(notes, text), finish() {} };
  }
  return stdout.isTTY ? liveProgress(stdout, execution, { now: Date.now }) : plainProgress(stdout, execution);
}

/** Resolves with the final execution, or 'interrupted' on a second Ctrl-C; the first one stops it. */
function waitOrInterrupt(env: CliEnv, runtime: ExecutionRuntime, id: string, view: ProgressView): Promise<ExecutionRecord | 'interrupted'> {
  return new Promise((resolve, reject) => {
    let interrupts = 0;
    const off = env.io.onInterrupt(() => {
      interrupts += 1;
      if (interrupts > 1) {
        off();
        resolve('interrupted');
        return;
      }
      view.note(`Stopping execution ${id}; running steps are being stopped. Press Ctrl-C again to exit at once.`);
      runtime.stopExecution(id).catch(reject);
    });
    runtime.waitForExecution(id).then(
      (record) => {
        off();
        resolve(record);
      },
      (err: unknown) => {
        off();
        reject(err);
      },
    );
  });
}

async function printResult(env: CliEnv, execution: ExecutionRecord, options: FollowOptions): Promise<void> {
  const store = await env.store();
  const steps = await store.listStepExecutions(execution.id);
  if (options.json) {
    writeJson(env.io.stdout, { ...toDescribePipelineExecution(execution), PipelineExecutionSteps: pipelineExecutionSteps(steps) });
    return;
  }
  const took = formatDuration((execution.endedAt ?? execution.updatedAt) - execution.createdAt);
  writeLine(env.io.stdout, `Execution ${execution.id} ${execution.status} after ${took}.`);
  if (execution.failureReason) writeLine(env.io.stdout, `Failure reason: ${execution.failureReason}`);
  for (const step of steps.filter((s) => s.status === 'Failed')) writeLine(env.io.stdout, `  ${step.stepName}: ${step.failureReason ?? 'failed'}`);
  writeLine(env.io.stdout, `Details: cairn ${await env.configFlag()}executions steps ${execution.id}`);
}

/** What to tell the user when a Callback step waits for its token. */
export function callbackInstructions(message: CallbackMessage): string {
  if (message.status === 'Stopping') {
    return `Callback step "${message.stepName}" was asked to stop; it ends once its token is redeemed: cairn callback fail ${message.token} --reason "stopped"`;
  }
  return [
    `Callback step "${message.stepName}" is waiting for token ${message.token} (arguments: ${JSON.stringify(message.arguments)}). Complete it with:`,
    `  cairn callback succeed ${message.token} [--output Name=Value]…`,
    `  cairn callback fail ${message.token} --reason "…"`,
  ].join('\n');
}
