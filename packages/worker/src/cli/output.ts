import Table from 'cli-table3';
import { DefinitionError, OrchestratorError, type DefinitionIssue } from '@cairn/core';
import type { CliStream } from './io.js';

/** Writes one line to a stream. */
export function writeLine(stream: CliStream, line = ''): void {
  stream.write(`${line}\n`);
}

/** Writes a value as indented JSON (what every `--json` flag prints). */
export function writeJson(stream: CliStream, value: unknown): void {
  writeLine(stream, JSON.stringify(value, null, 2));
}

/** No rule between body rows: one line per row, so long tables fit on a screen. */
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

/** Renders rows as a boxed table, one line per row; colours only on a terminal. */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[], options: { color?: boolean } = {}): string {
  const style = options.color ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] };
  const table = new Table({ head: [...head], style, chars: COMPACT });
  table.push(...rows.map((r) => [...r]));
  return table.toString();
}

/** One definition issue as `path: message To fix: … [CODE]`. */
export function formatIssue(issue: DefinitionIssue): string {
  return `${issue.path || '(root)'}: ${issue.message} To fix: ${issue.fix} [${issue.code}]`;
}

/** Prints an error for people: every issue of a `DefinitionError`, else the message with its code. */
export function writeError(stream: CliStream, err: unknown): void {
  if (err instanceof DefinitionError) {
    writeLine(stream, `error: the pipeline definition has ${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}:`);
    for (const issue of err.issues) writeLine(stream, `  ${formatIssue(issue)}`);
    return;
  }
  if (err instanceof OrchestratorError) {
    writeLine(stream, `error: ${err.message} [${err.code}]`);
    return;
  }
  writeLine(stream, `error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
}

/** A duration for people: `850ms`, `12.3s`, `4m05s`, `2h03m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Cuts text to `max` characters on one line, ending with "…" when cut. */
export function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, Math.max(0, max - 1))}…`;
}
