import { createLogUpdate } from 'log-update';
import type { ExecutionRecord, StepExecutionRecord } from '@cairn/core';
import type { CliStream } from './io.js';
import { formatDuration, renderTable, truncate, writeLine } from './output.js';

/** A committed status change of an execution or one of its steps (the runtime's progress event). */
export type ProgressEvent =
  | { type: 'execution'; execution: ExecutionRecord }
  | { type: 'step'; executionId: string; step: StepExecutionRecord };

/** Shows an execution's progress as events arrive. */
export interface ProgressView {
  /** Takes one runtime event (events of other executions are ignored). */
  update(event: ProgressEvent): void;
  /** Prints a message above the progress (it stays in the scrollback). */
  note(text: string): void;
  /** Draws the final state and releases the terminal. */
  finish(): void;
}

/** The latest known state of one execution and its steps, folded from events. */
export class ExecutionSnapshot {
  readonly steps = new Map<string, StepExecutionRecord>();
  constructor(public execution: ExecutionRecord) {}

  /** Applies an event; returns what changed status (or attempt), or `undefined` when nothing visible did. */
  apply(event: ProgressEvent): ProgressEvent | undefined {
    if (event.type === 'execution') {
      if (event.execution.id !== this.execution.id) return undefined;
      const changed = event.execution.status !== this.execution.status;
      this.execution = event.execution;
      return changed ? event : undefined;
    }
    if (event.executionId !== this.execution.id) return undefined;
    const previous = this.steps.get(event.step.stepName);
    this.steps.set(event.step.stepName, event.step);
    const changed = !previous || previous.status !== event.step.status || previous.attempt !== event.step.attempt;
    return changed ? event : undefined;
  }

  /** Steps in the order they started. */
  orderedSteps(): StepExecutionRecord[] {
    return inStartOrder(this.steps.values());
  }
}

/** Steps in the order they started (then by name); steps not started yet come last. */
export function inStartOrder(steps: Iterable<StepExecutionRecord>): StepExecutionRecord[] {
  return [...steps].sort((a, b) => (a.startTime ?? Infinity) - (b.startTime ?? Infinity) || a.stepName.localeCompare(b.stepName));
}

/** One timestamped line per status change: for logs, pipes and CI. */
export function plainProgress(stream: CliStream, execution: ExecutionRecord): ProgressView {
  const snapshot = new ExecutionSnapshot(execution);
  writeLine(stream, `${timestamp(execution.createdAt)} execution ${execution.id} (${execution.pipelineName}) ${execution.status}`);
  return {
    update(event) {
      const changed = snapshot.apply(event);
      if (changed) writeLine(stream, describeChange(changed));
    },
    note: (text) => writeLine(stream, text),
    finish() {},
  };
}

/** The line `plainProgress` prints for one change. */
export function describeChange(event: ProgressEvent): string {
  if (event.type === 'execution') {
    const e = event.execution;
    return `${timestamp(e.updatedAt)} execution ${e.id} ${e.status}${e.failureReason ? `: ${e.failureReason}` : ''}`;
  }
  const s = event.step;
  const attempt = s.attempt > 1 ? ` (attempt ${s.attempt})` : '';
  const cache = s.cacheHit ? ` (cache hit from ${s.cacheHit.sourceExecutionId})` : '';
  const reason = s.failureReason ? `: ${s.failureReason}` : '';
  return `${timestamp(s.updatedAt)} ${s.stepName} [${s.stepType}] ${s.status}${attempt}${cache}${reason}`;
}

/** Options of the live view. */
export interface LiveProgressOptions {
  /** Current time, for durations of running steps. */
  now: () => number;
  /** Minimum time between redraws, in milliseconds. @defaultValue 100 */
  redrawMs?: number;
}

/** A step table redrawn in place (log-update), with a header line; for terminals. */
export function liveProgress(stream: CliStream, execution: ExecutionRecord, options: LiveProgressOptions): ProgressView {
  const snapshot = new ExecutionSnapshot(execution);
  const log = createLogUpdate(stream as NodeJS.WritableStream);
  const draw = () => log(renderProgress(snapshot, options.now(), { color: true, maxRows: Math.max(5, (stream.rows ?? 30) - 8) }));
  let pending: NodeJS.Timeout | undefined;
  let finished = false;
  // Redraw every second even without events, so elapsed times move.
  const ticker = setInterval(draw, 1000);
  ticker.unref();
  draw();
  return {
    update(event) {
      snapshot.apply(event);
      pending ??= setTimeout(() => {
        pending = undefined;
        draw();
      }, options.redrawMs ?? 100);
    },
    note: (text) => log.persist(text),
    finish() {
      if (finished) return;
      finished = true;
      clearInterval(ticker);
      clearTimeout(pending);
      draw();
      log.done();
    },
  };
}

const COLUMNS = ['Step', 'Type', 'Status', 'Attempt', 'Duration', 'Cache', 'Failure reason'];

/** The header line and step table of the live view; long tables keep the steps that are not yet Succeeded. */
export function renderProgress(snapshot: ExecutionSnapshot, now: number, options: { color?: boolean; maxRows?: number } = {}): string {
  const e = snapshot.execution;
  const elapsed = formatDuration((e.endedAt ?? now) - e.createdAt);
  const header = `Execution ${e.id} (${e.pipelineName}) · ${e.status} · ${elapsed}`;
  const steps = snapshot.orderedSteps();
  const shown = limitRows(steps, options.maxRows ?? Infinity);
  const hidden = steps.length - shown.length;
  const more = hidden > 0 ? `\n… and ${hidden} more Succeeded step${hidden === 1 ? '' : 's'}` : '';
  const reason = e.failureReason ? `\n${e.failureReason}` : '';
  return `${header}\n${renderStepTable(shown, now, options)}${more}${reason}`;
}

/** Steps as a table: name, type, status, attempt, duration, cache hit, failure reason. */
export function renderStepTable(steps: readonly StepExecutionRecord[], now: number, options: { color?: boolean } = {}): string {
  const rows = steps.map((s) => [
    s.stepName,
    s.stepType,
    s.status,
    String(s.attempt),
    s.startTime === undefined ? '' : formatDuration((s.endTime ?? now) - s.startTime),
    s.cacheHit ? `hit (${s.cacheHit.sourceExecutionId})` : s.selectiveSource ? 'reused' : '',
    s.failureReason ? truncate(s.failureReason, 60) : '',
  ]);
  return renderTable(COLUMNS, rows, { color: options.color ?? false });
}

/** Drops the earliest Succeeded steps until at most `max` remain. */
function limitRows(steps: StepExecutionRecord[], max: number): StepExecutionRecord[] {
  let excess = steps.length - max;
  if (excess <= 0) return steps;
  return steps.filter((s) => !(s.status === 'Succeeded' && excess-- > 0));
}

function timestamp(ms: number): string {
  return new Date(ms).toISOString();
}
