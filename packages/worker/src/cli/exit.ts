import { ErrorCode, OrchestratorError } from '@cairn/core';

/** Process exit codes of every `cairn` command. */
export const ExitCode = {
  /** The command did what was asked (an execution Succeeded, a definition is valid). */
  Ok: 0,
  /** A failed or invalid result: an execution Failed or was Stopped, `validate` found problems. */
  Failed: 1,
  /** Unreadable or invalid input: a missing file, bad JSON, bad flags or parameters, an unknown id. */
  InvalidInput: 2,
  /** Ctrl-C pressed twice while following an execution (128 + SIGINT). */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Error codes that mean "the user's input was wrong", i.e. exit code 2. */
const INPUT_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.DefinitionInvalid,
  ErrorCode.DefinitionTooLarge,
  ErrorCode.ParameterInvalid,
  ErrorCode.InputUnreadable,
  ErrorCode.ConfigInvalid,
  ErrorCode.PipelineNotFound,
  ErrorCode.ExecutionNotFound,
  ErrorCode.StepNotFound,
  ErrorCode.CallbackTokenInvalid,
  ErrorCode.ModelPackageNotFound,
]);

/** The exit code for an error thrown by a command: 2 for input errors, 1 for everything else. */
export function exitCodeFor(err: unknown): ExitCode {
  return err instanceof OrchestratorError && INPUT_ERROR_CODES.has(err.code) ? ExitCode.InvalidInput : ExitCode.Failed;
}

/** A user-input error raised by the CLI itself (exit code 2). */
export function inputError(message: string, fix: string, cause?: unknown): OrchestratorError {
  return new OrchestratorError(ErrorCode.InputUnreadable, message, { fix, ...(cause === undefined ? {} : { cause }) });
}
