import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { collectAssignment, parseDatabaseUrl, parseDuration, parseList, parsePositiveInt } from './parsers.js';

describe('collectAssignment', () => {
  it('collects Name=Value pairs, keeping "=" inside values', () => {
    const first = collectAssignment('Epochs=5', undefined);
    expect(collectAssignment('Filter=a=b', first)).toEqual({ Epochs: '5', Filter: 'a=b' });
    expect(collectAssignment('Empty=', undefined)).toEqual({ Empty: '' });
  });

  it('rejects a missing name or "=" and repeated names', () => {
    expect(() => collectAssignment('Epochs', undefined)).toThrow(InvalidArgumentError);
    expect(() => collectAssignment('=5', undefined)).toThrow('expected Name=Value, got "=5".');
    expect(() => collectAssignment('Epochs=6', { Epochs: '5' })).toThrow('"Epochs" is given twice.');
  });
});

describe('parseDuration', () => {
  it('reads days, hours, minutes, seconds and milliseconds', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('0')).toBe(0);
  });

  it('rejects what is not a duration, and negative ones', () => {
    for (const bad of ['', 'soon', '30x', '-1d']) expect(() => parseDuration(bad)).toThrow(InvalidArgumentError);
    expect(() => parseDuration('tomorrow')).toThrow('expected a duration such as 30d, 12h or 90s, got "tomorrow".');
    // A bare number would be milliseconds: `--older-than 30` must not prune everything older than 30 ms.
    expect(() => parseDuration('30')).toThrow('a duration needs a unit (d, h, m, s or ms), as in 30d, 12h or 90s; got "30".');
  });
});

describe('parsePositiveInt and parseList', () => {
  it('accepts positive integers only', () => {
    expect(parsePositiveInt('12')).toBe(12);
    for (const bad of ['0', '-1', '1.5', 'x', '']) expect(() => parsePositiveInt(bad)).toThrow(InvalidArgumentError);
  });

  it('splits comma-separated names and rejects empty ones', () => {
    expect(parseList('Train, Evaluate')).toEqual(['Train', 'Evaluate']);
    expect(() => parseList('Train,,Evaluate')).toThrow('expected a comma-separated list of names');
  });
});

describe('parseDatabaseUrl', () => {
  it('takes the schema out of the query string', () => {
    expect(parseDatabaseUrl('postgres://postgres@127.0.0.1:5432/test?schema=cli_1&sslmode=disable')).toEqual({
      connectionString: 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable',
      schema: 'cli_1',
    });
    expect(parseDatabaseUrl('postgres://db/cairn')).toEqual({ connectionString: 'postgres://db/cairn' });
    expect(() => parseDatabaseUrl('not a url')).toThrow(InvalidArgumentError);
  });
});
