import { InvalidArgumentError } from 'commander';
import ms from 'ms';

/**
 * Parses one `Name=Value` flag value (`--param`, `--output`) into the collected record, for
 * commander's `argParser`. The value may contain `=`; a repeated name is an error.
 */
export function collectAssignment(text: string, previous: Record<string, string> | undefined): Record<string, string> {
  const at = text.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected Name=Value, got "${text}".`);
  const name = text.slice(0, at);
  if (previous && Object.hasOwn(previous, name)) throw new InvalidArgumentError(`"${name}" is given twice.`);
  return { ...previous, [name]: text.slice(at + 1) };
}

/** Parses a positive integer flag value (`--limit`, `--max-parallel`, `--attempt`). */
export function parsePositiveInt(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${text}".`);
  return n;
}

/**
 * Parses a duration flag value (`30d`, `12h`, `90s`, `500ms`; `ms`'s units) into milliseconds, at
 * least 0. A number without a unit other than 0 is refused: `--older-than 30` would mean 30 ms.
 */
export function parseDuration(text: string): number {
  if (/^\s*\d+(\.\d+)?\s*$/.test(text) && Number(text) !== 0) {
    throw new InvalidArgumentError(`a duration needs a unit (d, h, m, s or ms), as in 30d, 12h or 90s; got "${text}".`);
  }
  let value: number | undefined;
  try {
    value = ms(text as ms.StringValue);
  } catch {
    // `ms` throws on an empty string.
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new InvalidArgumentError(`expected a duration such as 30d, 12h or 90s, got "${text}".`);
  return value;
}

/** Parses a comma-separated list flag value (`--select A,B`); empty items are an error. */
export function parseList(text: string): string[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new InvalidArgumentError(`expected a comma-separated list of names, got "${text}".`);
  return items;
}

/**
 * Splits a `--database` URL into the connection string and the schema named by its `schema`
 * query parameter (`postgres://host/db?schema=cairn`), which PostgreSQL URLs do not have.
 */
export function parseDatabaseUrl(text: string): { connectionString: string; schema?: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError(`expected a URL such as postgres://postgres@127.0.0.1:5432/cairn, got "${text}".`);
  }
  const schema = url.searchParams.get('schema');
  if (schema === null) return { connectionString: text };
  url.searchParams.delete('schema');
  return { connectionString: url.toString(), schema };
}
