import type { z } from 'zod';
import { ErrorCode, OrchestratorError, asSentence } from '@cairn/core';

/** Whether `value` looks like an AWS SDK v3 client (duck-typed, so a client from another copy of the SDK is accepted too). */
export function isAwsClient(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { send?: unknown }).send === 'function';
}

/** Validates the options of a public constructor; invalid ones are `CONFIG_INVALID`. */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`).join('; ');
  throw new OrchestratorError(ErrorCode.ConfigInvalid, asSentence(`Invalid ${what} options: ${problems}`), {
    fix: `correct the ${what} options (or the "sagemaker" section of cairn.config.json).`,
  });
}
