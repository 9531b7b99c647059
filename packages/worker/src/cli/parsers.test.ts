import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { collectAssignment } from './assignments.js';

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
