import { describe, expect, it } from 'vitest';
import { equals, greaterThan, greaterThanOrEqualTo, isIn, lessThan, lessThanOrEqualTo, not, or } from './conditions.js';
import { parameter } from './parameters.js';
import { serializeValue, detachedContext } from './serialize.js';

const n = parameter.integer('N');
const s = parameter.string('S');
const render = (value: unknown): unknown => serializeValue(value, detachedContext, 'Conditions');

describe('conditions', () => {
  it('render the binary comparisons with the format type strings', () => {
    const get = { Get: 'Parameters.N' };
    expect(render([equals(n, 1), greaterThan(n, 2), greaterThanOrEqualTo(3, n), lessThan(n, 4), lessThanOrEqualTo(n, 5)])).toEqual([
      { Type: 'Equals', LeftValue: get, RightValue: 1 },
      { Type: 'GreaterThan', LeftValue: get, RightValue: 2 },
      { Type: 'GreaterThanOrEqualTo', LeftValue: 3, RightValue: get },
      { Type: 'LessThan', LeftValue: get, RightValue: 4 },
      { Type: 'LessThanOrEqualTo', LeftValue: get, RightValue: 5 },
    ]);
  });

  it('render In with QueryValue/Values, Not with a singular Condition and Or with Conditions', () => {
    expect(render(not(or(isIn(s, ['a', 'b']), equals(true, true))))).toEqual({
      Type: 'Not',
      Condition: {
        Type: 'Or',
        Conditions: [
          { Type: 'In', QueryValue: { Get: 'Parameters.S' }, Values: ['a', 'b'] },
          { Type: 'Equals', LeftValue: true, RightValue: true },
        ],
      },
    });
  });
});
