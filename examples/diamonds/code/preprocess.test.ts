import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseNumericCsv } from './dataset.js';
import { optMl } from './opt-ml.js';
import { CLARITY_ORDER, COLOR_ORDER, CUT_ORDER, encodeDiamonds, preprocess, splitRows } from './preprocess.js';
import { silentLogger, useOptMlRoot, writeOptMlFile } from './test-support.js';

const HEADER = 'carat,cut,color,clarity,depth,table,price,x,y,z';
const IDEAL_E_SI2 = '0.23,Ideal,E,SI2,61.5,55,326,3.95,3.98,2.43';
const FAIR_J_IF = '1.5,Fair,J,IF,64,58,5000,7.1,7.05,4.5';

/** A CSV of `n` diamonds whose price is 1000 + the row number (to trace rows through the split). */
function diamondsCsv(n: number): string {
  const rows = Array.from({ length: n }, (_, i) => `0.5,Good,G,VS1,61,57,${1000 + i},5,5,3`);
  return [HEADER, ...rows].join('\n') + '\n';
}

describe('encodeDiamonds', () => {
  it('puts price first and encodes the grades as their rank, worst = 0', () => {
    const rows = encodeDiamonds([HEADER, IDEAL_E_SI2, FAIR_J_IF].join('\n'), 'test.csv');
    expect(rows).toEqual([
      [326, 0.23, 4, 5, 1, 61.5, 55, 3.95, 3.98, 2.43],
      [5000, 1.5, 0, 0, 7, 64, 58, 7.1, 7.05, 4.5],
    ]);
    expect([CUT_ORDER[4], COLOR_ORDER[5], CLARITY_ORDER[1]]).toEqual(['Ideal', 'E', 'SI2']);
  });

  it('names the line and column of an unknown grade', () => {
    const csv = [HEADER, IDEAL_E_SI2, '0.3,Superb,E,SI2,61.5,55,326,3.95,3.98,2.43'].join('\n');
    expect(() => encodeDiamonds(csv, 'test.csv')).toThrow(/test\.csv line 3, column "cut".*To fix:/);
  });
});

describe('splitRows', () => {
  it('splits a permutation of the rows 70/15/15', () => {
    const rows = Array.from({ length: 100 }, (_, i) => i);
    const { train, validation, test } = splitRows(rows, 1);
    expect([train.length, validation.length, test.length]).toEqual([70, 15, 15]);
    expect([...train, ...validation, ...test].sort((a, b) => a - b)).toEqual(rows);
    expect(train.slice(0, 10)).not.toEqual(rows.slice(0, 10));
  });

  it('shuffles the same way for the same seed only', () => {
    const rows = Array.from({ length: 50 }, (_, i) => i);
    expect(splitRows(rows, 3)).toEqual(splitRows(rows, 3));
    expect(splitRows(rows, 3)).not.toEqual(splitRows(rows, 4));
  });
});

describe('preprocess', () => {
  it('reads the only CSV of the input directory and writes the splits and the batch file', async () => {
    await useOptMlRoot();
    await writeOptMlFile('/opt/ml/processing/input/data/gems.csv', diamondsCsv(40));
    await preprocess(['--seed', '5'], silentLogger);
    const read = async (name: string) =>
      parseNumericCsv(await readFile(optMl(`/opt/ml/processing/${name}/${name}.csv`), 'utf8'), name);
    const [train, validation, test, batch] = await Promise.all(['train', 'validation', 'test', 'batch'].map(read));
    expect([train!.length, validation!.length, test!.length]).toEqual([28, 6, 6]);
    const prices = [...train!, ...validation!, ...test!].map((row) => row[0]!).sort((a, b) => a - b);
    expect(prices).toEqual(Array.from({ length: 40 }, (_, i) => 1000 + i));
    expect(train![0]).toHaveLength(10);
    expect(batch).toEqual(test!.map((row) => row.slice(1)));
  });

  it('prefers diamonds.csv when the input directory holds several CSV files', async () => {
    await useOptMlRoot();
    await writeOptMlFile('/opt/ml/processing/input/data/diamonds.csv', diamondsCsv(20));
    await writeOptMlFile('/opt/ml/processing/input/data/other.csv', 'not,a,diamond\n');
    await preprocess([], silentLogger);
    const test = await readFile(optMl('/opt/ml/processing/test/test.csv'), 'utf8');
    expect(test.trim().split('\n')).toHaveLength(3);
  });

  it('refuses an input directory with several CSV files and no diamonds.csv', async () => {
    await useOptMlRoot();
    await writeOptMlFile('/opt/ml/processing/input/data/a.csv', diamondsCsv(5));
    await writeOptMlFile('/opt/ml/processing/input/data/b.csv', diamondsCsv(5));
    await expect(preprocess([], silentLogger)).rejects.toThrow(/holds 2 CSV files and no diamonds\.csv\. To fix:/);
  });
});
