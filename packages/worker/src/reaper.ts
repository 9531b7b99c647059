import { spawn, type ChildProcess } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { PROCESS_GROUP_CHANNEL } from '@cairn/steps';

/**
 * The watchdog, as a script for `node -e`: it reads `+pid` / `-pid` lines on stdin and, when
 * stdin closes (its worker exited or was SIGKILLed), kills every group still listed.
 */
const WATCHDOG_SCRIPT = `
const groups = new Set();
let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  const lines = buffered.split('\\n');
  buffered = lines.pop();
  for (const line of lines) {
    const pid = Number(line.slice(1));
    if (line[0] === '+') groups.add(pid); else groups.delete(pid);
  }
});
process.stdin.on('end', () => {
  for (const pid of groups) { try { process.kill(-pid, 'SIGKILL'); } catch {} }
  process.exit(0);
});
`;

interface GroupMessage {
  pid: number;
  event: 'start' | 'end';
}

/**
 * Kills the step process groups of this worker when it dies, however it dies (even SIGKILL, when
 * no handler of its own runs): a small detached watchdog process learns each group from the local
 * executor's diagnostics channel and kills the ones left when its pipe from this process closes.
 */
export class ProcessGroupReaper {
  private readonly watchdog: ChildProcess;
  private readonly onMessage = (message: unknown) => {
    const { pid, event } = message as GroupMessage;
    this.watchdog.stdin?.write(`${event === 'start' ? '+' : '-'}${pid}\n`);
  };

  constructor() {
    this.watchdog = spawn(process.execPath, ['-e', WATCHDOG_SCRIPT], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    this.watchdog.unref();
    // The pipe must not keep this process alive; the watchdog exits when it closes.
    (this.watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    subscribe(PROCESS_GROUP_CHANNEL, this.onMessage);
  }

  /** Stops watching (the watchdog exits once its pipe closes). */
  close(): void {
    unsubscribe(PROCESS_GROUP_CHANNEL, this.onMessage);
    this.watchdog.stdin?.end();
  }
}
