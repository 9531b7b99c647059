/**
 * Work that runs on a timer and on demand, one pass at a time: a pass asked for while one runs
 * joins it. Subclasses implement `run` (which should not throw: log and return instead).
 */
export abstract class PeriodicPass<T> {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<T> | undefined;

  constructor(private readonly intervalMs: number) {}

  /** Starts periodic passes (the timer does not keep the process alive). */
  start(): void {
    this.timer = setInterval(() => void this.runPass(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops periodic passes and waits for a running one. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.pass;
  }

  /** Runs one pass now, or joins the one running. */
  protected runPass(): Promise<T> {
    this.pass ??= this.run().finally(() => (this.pass = undefined));
    return this.pass;
  }

  protected abstract run(): Promise<T>;
}
