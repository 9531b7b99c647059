import type { Condition, ConditionOperand } from '../definition/conditions.js';
import { ErrorCode, OrchestratorError } from '../errors.js';
import type { JsonValue } from '../json.js';

/** Resolves a condition operand (a literal or an expression) at a JSON path. */
export type OperandResolver = (operand: ConditionOperand, path: string) => Promise<JsonValue>;

/**
 * Evaluates a Condition step's `Conditions` (an AND; `Or` short-circuits, `Not` negates, `In` is
 * membership). Numbers compare numerically (integer vs float too), strings lexicographically;
 * operands of incompatible types throw `CONDITION_FAILED`, which fails the condition step.
 */
export async function evaluateConditions(conditions: readonly Condition[], resolve: OperandResolver, at = 'Arguments.Conditions'): Promise<boolean> {
  for (let i = 0; i < conditions.length; i++) if (!(await evaluate(conditions[i]!, resolve, `${at}[${i}]`))) return false;
  return true;
}

async function evaluate(c: Condition, resolve: OperandResolver, at: string): Promise<boolean> {
  switch (c.Type) {
    case 'Not':
      return !(await evaluate(c.Condition, resolve, `${at}.Condition`));
    case 'Or':
      for (let i = 0; i < c.Conditions.length; i++) if (await evaluate(c.Conditions[i]!, resolve, `${at}.Conditions[${i}]`)) return true;
      return false;
    case 'In': {
      const q = await resolve(c.QueryValue, `${at}.QueryValue`);
      for (let i = 0; i < c.Values.length; i++) {
        const v = await resolve(c.Values[i]!, `${at}.Values[${i}]`);
        if (comparable(q, v) && compare(q, v, c.Type, at) === 0) return true;
      }
      return false;
    }
    default: {
      const left = await resolve(c.LeftValue, `${at}.LeftValue`);
      const right = await resolve(c.RightValue, `${at}.RightValue`);
      const order = compare(left, right, c.Type, at);
      switch (c.Type) {
        case 'Equals':
          return order === 0;
        case 'GreaterThan':
          return order > 0;
        case 'GreaterThanOrEqualTo':
          return order >= 0;
        case 'LessThan':
          return order < 0;
        case 'LessThanOrEqualTo':
          return order <= 0;
      }
    }
  }
}

function comparable(a: JsonValue, b: JsonValue): boolean {
  return typeof a === typeof b && (typeof a === 'number' || typeof a === 'string' || typeof a === 'boolean');
}

function compare(a: JsonValue, b: JsonValue, type: string, at: string): number {
  if (!comparable(a, b) || (typeof a === 'boolean' && type !== 'Equals' && type !== 'In')) {
    throw new OrchestratorError(
      ErrorCode.ConditionFailed,
      `${type} at ${at} cannot compare ${JSON.stringify(a)} (${kind(a)}) with ${JSON.stringify(b)} (${kind(b)}).`,
      { fix: 'compare values of the same type: numbers with numbers, strings with strings (wrap a value in Std:Join to make it a string).', details: { path: at } },
    );
  }
  if (a === b) return 0;
  return (a as number | string) < (b as number | string) ? -1 : 1;
}

function kind(v: JsonValue): string {
  return v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v;
}
