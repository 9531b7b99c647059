import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { COMPILE_AFTER_USES, schemaRef } from './schema-ref.js';
import { ExpressionSchema, JoinExpressionSchema, StringValue } from './expressions.js';

const join = (values: unknown[]) => ({ 'Std:Join': { On: '/', Values: values } });
const issuesOf = (schema: z.ZodType, value: unknown) =>
  schema.safeParse(value).error?.issues.map((i) => ({ code: i.code, path: i.path }));

describe('schemaRef', () => {
  it('checks nested expressions to any depth, with the nested issue paths', () => {
    const deep = join(['a', join([{ Get: 'Parameters.X' }, join([1, true])])]);
    expect(ExpressionSchema.parse(deep)).toEqual(deep);
    expect(issuesOf(JoinExpressionSchema, join(['a', join([{ Get: 5 }])]))).toEqual([
      { code: 'invalid_union', path: ['Std:Join', 'Values', 1] },
    ]);
    expect(issuesOf(StringValue, { Get: '' })).toEqual([{ code: 'invalid_union', path: [] }]);
  });

  it('gives the same outputs and issues once the target is compiled', () => {
    const target = z.strictObject({ n: z.number().int(), tags: z.array(z.string()).optional() });
    const ref = z.array(schemaRef(() => target));
    const valid = [{ n: 1 }, { n: 2, tags: ['x'] }];
    const invalid = [{ n: 1 }, { n: 1.5, extra: true }];
    const before = { data: ref.parse(valid), issues: issuesOf(ref, invalid) };
    for (let i = 0; i <= COMPILE_AFTER_USES; i++) ref.parse(valid);
    expect(ref.parse(valid)).toEqual(before.data);
    expect(issuesOf(ref, invalid)).toEqual(before.issues);
    expect(before.issues).toEqual([
      { code: 'invalid_type', path: [1, 'n'] },
      { code: 'unrecognized_keys', path: [1] },
    ]);
  });
});
