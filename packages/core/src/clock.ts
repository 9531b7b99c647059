/** Time source, injected so tests control time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}
/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };
