import { spawn } from 'node:child_process';
import { channel } from 'node:diagnostics_channel';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';

/** What to run and how long it may take. */
export interface RunProcessOptions {
  command: string;
  args: readonly string[];
  cwd: string;
  /** The complete environment of the child. */
  env: Readonly<Record<string, string>>;
  /** Directory for `stdout.log` and `stderr.log` (appended to). */
  logDir: string;
  /** Stops the process group (SIGTERM, then SIGKILL after the grace period). */
  signal: AbortSignal;
  /** Wall-clock limit in milliseconds; the group is killed when it passes. */
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL, in milliseconds. @defaultValue 2_000 */
  killGraceMs?: number;
  /** Called with every line the process writes to stdout or stderr. */
  onLine?: (line: string) => void;
}

/** How a process ended. */
export interface ProcessOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stopped: boolean;
  /** The last few kilobytes of stderr, for failure reasons. */
  stderrTail: string;
}

const STDERR_TAIL_BYTES = 4_096;
const liveGroups = new Set<number>();

/**
 * Diagnostics channel announcing each step process group: `{ pid, event: 'start' | 'end' }`. A
 * worker passes these to a watchdog process so the groups die even when it is SIGKILLed.
 */
export const PROCESS_GROUP_CHANNEL = 'cairn:process-group';
const groupChannel = channel(PROCESS_GROUP_CHANNEL);

/**
 * Runs a command in its own process group (`detached`), logging to files. Stop, timeout and the
 * exit of this process (including Ctrl-C) kill the whole group, so no grandchild outlives its step.
 */
export async function runProcess(options: RunProcessOptions): Promise<ProcessOutcome> {
  await mkdir(options.logDir, { recursive: true });
  const stdoutLog = createWriteStream(join(options.logDir, 'stdout.log'), { flags: 'a' });
  const stderrLog = createWriteStream(join(options.logDir, 'stderr.log'), { flags: 'a' });
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const outcome: ProcessOutcome = { exitCode: null, signal: null, timedOut: false, stopped: false, stderrTail: '' };
  child.stderr.on('data', (chunk: Buffer) => {
    outcome.stderrTail = (outcome.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
  });
  const pumps = [pump(child.stdout, stdoutLog, options.onLine), pump(child.stderr, stderrLog, options.onLine)];
  const exited = new Promise<void>((resolveExit, rejectExit) => {
    child.once('error', rejectExit);
    child.once('exit', (code, signal) => {
      outcome.exitCode = code;
      outcome.signal = signal;
      resolveExit();
    });
  });
  const pid = child.pid;
  if (pid === undefined) {
    stdoutLog.end();
    stderrLog.end();
    await exited; // rejects with the spawn error (e.g. ENOENT)
    throw new Error(`spawn ${options.command} failed`);
  }
  trackGroup(pid);
  const terminate = (why: 'timedOut' | 'stopped') => {
    outcome[why] = true;
    killGroup(pid, 'SIGTERM');
    setTimeout(() => killGroup(pid, 'SIGKILL'), options.killGraceMs ?? 2_000).unref();
  };
  const onAbort = () => terminate('stopped');
  if (options.signal.aborted) onAbort();
  else options.signal.addEventListener('abort', onAbort, { once: true });
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => terminate('timedOut'), options.timeoutMs);
  try {
    await exited;
    await Promise.all(pumps);
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', onAbort);
    // Like a container that ends: whatever the entrypoint left running in its group dies with it.
    killGroup(pid, 'SIGKILL');
    untrackGroup(pid);
  }
  return outcome;
}

async function pump(stream: NodeJS.ReadableStream, log: WriteStream, onLine?: (line: string) => void): Promise<void> {
  stream.pipe(log);
  if (onLine) {
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) onLine(line);
  }
  await finished(log);
}

/** Sends a signal to a whole process group; a group that is gone already is fine. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group has exited.
  }
}

function killAllGroups(): void {
  for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
}

/**
 * On Ctrl-C or SIGTERM with no other handler: kill the groups, then let the signal end the process
 * as it would have. When the application handles the signal itself (say, to stop executions
 * gracefully), it stops the jobs; the `exit` hook still kills whatever is left.
 */
function onTerminationSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  killAllGroups();
  process.removeListener(signal, onTerminationSignal);
  process.kill(process.pid, signal);
}

function trackGroup(pid: number): void {
  if (liveGroups.size === 0) {
    process.on('exit', killAllGroups);
    process.on('SIGINT', onTerminationSignal);
    process.on('SIGTERM', onTerminationSignal);
  }
  liveGroups.add(pid);
  groupChannel.publish({ pid, event: 'start' });
}

function untrackGroup(pid: number): void {
  liveGroups.delete(pid);
  groupChannel.publish({ pid, event: 'end' });
  if (liveGroups.size === 0) {
    process.removeListener('exit', killAllGroups);
    process.removeListener('SIGINT', onTerminationSignal);
    process.removeListener('SIGTERM', onTerminationSignal);
  }
}
