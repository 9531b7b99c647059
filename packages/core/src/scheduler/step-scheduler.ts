import { ErrorCode, OrchestratorError } from '../errors.js';

/** A step as the scheduler sees it: its edges and, for branch members, the enabling condition. */
export interface SchedulerStep {
  readonly name: string;
  readonly upstream: readonly string[];
  readonly downstream: readonly string[];
  readonly branch?: { condition: string; branch: 'IfSteps' | 'ElseSteps' } | undefined;
}

const PENDING = 0;
const READY = 1;
const RUNNING = 2;
const DONE = 3;
const FAILED = 4;
const STOPPED = 5;
const SKIPPED = 6;

/**
 * Pure, incremental scheduling decisions for one execution (no I/O, O(1) amortised per event):
 * remaining-upstream counters, a ready queue, the `MaxParallelExecutionSteps` limit, branch
 * skipping after a Condition (steps only reachable through the branch not taken, and their
 * dependents, never become ready) and the halt after a failure or stop (no new step starts;
 * running ones finish). The coordinator reports events and takes ready steps.
 */
export class StepScheduler {
  private readonly names: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly downstream: number[][] = [];
  private readonly remaining: Int32Array;
  private readonly state: Uint8Array;
  /** Condition index → [IfSteps members, ElseSteps members]. */
  private readonly branches = new Map<number, [number[], number[]]>();
  private readonly queue: number[] = [];
  private queueHead = 0;
  private runningCount = 0;
  private halted = false;

  /** `steps` in topological order (ready steps are handed out in this order). */
  constructor(steps: Iterable<SchedulerStep>, private readonly maxParallel = Number.POSITIVE_INFINITY) {
    const list = [...steps];
    list.forEach((s, i) => {
      this.names.push(s.name);
      this.index.set(s.name, i);
    });
    this.remaining = new Int32Array(list.length);
    this.state = new Uint8Array(list.length);
    list.forEach((s, i) => {
      this.remaining[i] = s.upstream.length;
      this.downstream.push(s.downstream.map((d) => this.at(d)));
      if (s.branch) {
        const c = this.at(s.branch.condition);
        const pair = this.branches.get(c) ?? [[], []];
        pair[s.branch.branch === 'IfSteps' ? 0 : 1].push(i);
        this.branches.set(c, pair);
      }
    });
  }

  /**
   * Restores state before scheduling starts (resume, retry, selective execution): `done` steps
   * succeeded (with a Condition's outcome), `running` ones are in flight, `excluded` ones never run.
   * Then every pending step without pending upstream becomes ready.
   */
  restore(done: Iterable<[name: string, outcome: boolean | undefined]>, running: Iterable<string> = [], excluded: Iterable<string> = []): void {
    for (const name of excluded) this.skip(this.at(name));
    for (const name of running) {
      this.state[this.at(name)] = RUNNING;
      this.runningCount++;
    }
    for (const [name, outcome] of done) {
      const i = this.at(name);
      this.state[i] = DONE;
      this.settle(i, outcome);
    }
    for (let i = 0; i < this.names.length; i++) if (this.state[i] === PENDING && this.remaining[i] === 0) this.enqueue(i);
  }

  /** Ready steps that may start now, at most `limit`, honouring the parallelism limit; they count as running. */
  takeReady(limit = Number.POSITIVE_INFINITY): string[] {
    const out: string[] = [];
    while (out.length < limit && this.canStart) {
      const i = this.queue[this.queueHead++]!;
      this.state[i] = RUNNING;
      this.runningCount++;
      out.push(this.names[i]!);
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    return out;
  }

  /** A running step succeeded; for a Condition step, `outcome` picks the branch that runs. */
  succeeded(name: string, outcome?: boolean): void {
    const i = this.leaveRunning(name, DONE);
    this.settle(i, outcome);
  }

  /** A running step failed for good: nothing new starts from now on. */
  failed(name: string): void {
    this.leaveRunning(name, FAILED);
    this.halted = true;
  }

  /** A running step was stopped. */
  stopped(name: string): void {
    this.leaveRunning(name, STOPPED);
    this.halted = true;
  }

  /** A step taken from the queue will not start after all (the execution halted meanwhile). */
  release(name: string): void {
    const i = this.leaveRunning(name, PENDING);
    this.enqueue(i);
  }

  /** Stops handing out steps (stop requested); running steps finish. */
  halt(): void {
    this.halted = true;
  }

  /** Whether `takeReady` would hand out a step now (a ready step, no halt, room under the parallelism limit). */
  get canStart(): boolean {
    if (this.halted || this.runningCount >= this.maxParallel) return false;
    // Entries that are no longer ready (released and re-enqueued, skipped) are passed over.
    while (this.queueHead < this.queue.length && this.state[this.queue[this.queueHead]!] !== READY) this.queueHead++;
    return this.queueHead < this.queue.length;
  }

  /** Steps in flight (started, or waiting for a retry). */
  get running(): number {
    return this.runningCount;
  }

  /** True when nothing runs and nothing more will start: the execution can end. */
  get settled(): boolean {
    return this.runningCount === 0 && (this.halted || this.queueHead >= this.queue.length);
  }

  /** Whether a step failed or a stop halted the execution. */
  get isHalted(): boolean {
    return this.halted;
  }

  private at(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) {
      throw new OrchestratorError(ErrorCode.StepNotFound, `The scheduler has no step "${name}".`, {
        fix: 'this is a bug in the caller: report events only for steps of the compiled pipeline.',
      });
    }
    return i;
  }

  private leaveRunning(name: string, next: number): number {
    const i = this.at(name);
    if (this.state[i] === RUNNING) this.runningCount--;
    this.state[i] = next;
    return i;
  }

  private enqueue(i: number): void {
    this.state[i] = READY;
    this.queue.push(i);
  }

  private settle(i: number, outcome: boolean | undefined): void {
    const pair = this.branches.get(i);
    if (pair && outcome !== undefined) for (const m of pair[outcome ? 1 : 0]) this.skip(m);
    for (const d of this.downstream[i]!) {
      const left = this.remaining[d]! - 1;
      this.remaining[d] = left;
      if (left === 0 && this.state[d] === PENDING) this.enqueue(d);
    }
  }

  /** Marks a step and everything downstream of it as never running (iteratively: DAGs can be deep). */
  private skip(start: number): void {
    const stack = [start];
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (this.state[i] !== PENDING && this.state[i] !== READY) continue;
      this.state[i] = SKIPPED;
      for (const d of this.downstream[i]!) stack.push(d);
    }
  }
}
