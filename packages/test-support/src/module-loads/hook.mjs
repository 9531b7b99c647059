// Loader hook of record.mjs. It runs on the loader thread, so it writes synchronously: the log is
// complete when the process exits.
import { appendFileSync } from 'node:fs';

let log;

export function initialize(data) {
  log = data.log;
}

export async function load(url, context, nextLoad) {
  if (log) appendFileSync(log, `${url}\n`);
  return nextLoad(url, context);
}
