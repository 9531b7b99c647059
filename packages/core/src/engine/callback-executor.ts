import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { ErrorCode, OrchestratorError } from '../errors.js';
import type { ExecutionHandle, JobState, StepExecutor } from '../executor.js';
import { parseTypedValue } from '../expressions/parameters.js';
import type { JsonObject } from '../json.js';
import type { CallbackTokenRecord, ExecutionStore } from '../store/execution-store.js';

/** The message a Callback step sends (SageMaker sends it to `SqsQueueUrl`). */
export interface CallbackMessage {
  token: string;
  pipelineExecutionArn: string;
  stepName: string;
  arguments: JsonObject;
  /** `Stopping` on the second message sent when the execution is stopped. */
  status?: 'Stopping';
}

/** Options of the built-in Callback executor. */
export interface CallbackExecutorOptions {
  store: ExecutionStore;
  /** Receives each message; default: logs it (with the token) at info level. */
  sink?: (message: CallbackMessage) => void | Promise<void>;
  logger: Logger;
}

/** SHA-256 (hex) of a callback token: the only form the store keeps. */
export function hashCallbackToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A fresh token: 22 base62 characters from 24 random bytes (≥ 128 bits). */
function newToken(): string {
  let n = BigInt(`0x${randomBytes(24).toString('hex')}`);
  let out = '';
  for (let i = 0; i < 22; i++) {
    out += BASE62[Number(n % 62n)];
    n /= 62n;
  }
  return out;
}

/**
 * The Callback step executor (reference §8.7): `start` makes a token, stores its hash and sends the
 * message; `poll` reports `running` until `sendCallbackSuccess`/`sendCallbackFailure` redeem the
 * token (from any process); outputs are converted per `OutputType`.
 */
export function createCallbackExecutor(options: CallbackExecutorOptions): StepExecutor {
  const sink = options.sink ?? ((m: CallbackMessage) => options.logger.info({ callback: m }, `callback step "${m.stepName}" waits for token ${m.token}`));
  const tokens = new Map<string, CallbackMessage>();
  return {
    id: 'callback',
    stepTypes: ['Callback'],
    async start(request, ctx) {
      const token = newToken();
      const tokenHash = hashCallbackToken(token);
      const declared = request.step.Type === 'Callback' ? (request.step.OutputParameters ?? []) : [];
      await options.store.putCallbackToken({
        tokenHash,
        executionId: ctx.executionId,
        stepName: ctx.stepName,
        attempt: ctx.attempt,
        outputParameters: declared.map((p) => ({ OutputName: p.OutputName, ...(p.OutputType ? { OutputType: p.OutputType } : {}) })),
        createdAt: ctx.clock.now(),
      });
      const message: CallbackMessage = { token, pipelineExecutionArn: ctx.executionArn, stepName: ctx.stepName, arguments: request.arguments };
      tokens.set(tokenHash, message);
      await sink(message);
      const queue = request.stepFields?.['SqsQueueUrl'];
      return { tokenHash, tokenPrefix: token.slice(0, 6), sqsQueueUrl: typeof queue === 'string' ? queue : '' };
    },
    async poll(handle, ctx) {
      // Every token of the attempt: a start cut off by a crash after its message was sent (before
      // this handle was recorded) left a token the consumer may redeem instead of this one.
      const tokens = await options.store.listCallbackTokens({ executionId: ctx.executionId, stepName: ctx.stepName, attempt: ctx.attempt });
      const record = firstRedeemed(tokens);
      if (!record?.outcome) return { state: 'running' };
      if (record.outcome === 'failed') {
        return { state: 'failed', error: { code: ErrorCode.StepFailed, message: record.failureReason ?? 'The callback reported a failure.', retryable: false } };
      }
      return callbackSucceeded(record, handle);
    },
    async stop(handle) {
      const message = tokens.get(String(handle['tokenHash']));
      // The step keeps waiting: only the consumer's success or failure ends it (reference §8.7).
      if (message) await sink({ ...message, status: 'Stopping' });
    },
  };
}

/** The token of an attempt redeemed first, if any. */
function firstRedeemed(tokens: readonly CallbackTokenRecord[]): CallbackTokenRecord | undefined {
  let first: CallbackTokenRecord | undefined;
  for (const t of tokens) if (t.redeemedAt !== undefined && (first?.redeemedAt === undefined || t.redeemedAt < first.redeemedAt)) first = t;
  return first;
}

function callbackSucceeded(record: CallbackTokenRecord, handle: ExecutionHandle): JobState {
  const values: JsonObject = {};
  const problems: string[] = [];
  for (const { Name, Value } of record.outputs ?? []) {
    const type = record.outputParameters.find((p) => p.OutputName === Name)?.OutputType ?? 'String';
    const v = parseTypedValue(Value, type);
    if (v === undefined) problems.push(`output "${Name}" is declared ${type} but got ${JSON.stringify(Value)}`);
    else values[Name] = v;
  }
  if (problems.length > 0) {
    return { state: 'failed', error: { code: ErrorCode.StepFailed, message: `The callback outputs do not match their declared types: ${problems.join('; ')}.`, retryable: false } };
  }
  return {
    state: 'succeeded',
    properties: { OutputParameters: values },
    metadata: {
      Callback: {
        // Only the handle's own token has a known prefix (the store keeps hashes).
        CallbackToken: record.tokenHash === handle['tokenHash'] ? `${String(handle['tokenPrefix'])}…` : '…',
        SqsQueueUrl: handle['sqsQueueUrl'] ?? '',
        OutputParameters: (record.outputs ?? []).map((o) => ({ Name: o.Name, Value: o.Value })),
      },
    },
  };
}

function tokenInvalid(): OrchestratorError {
  return new OrchestratorError(ErrorCode.CallbackTokenInvalid, 'The callback token is unknown or was already used.', {
    fix: 'copy the token exactly from the callback message; each token can be redeemed once.',
  });
}

/** Completes a waiting Callback step with output values (strings, converted per `OutputType`). Works from any process. */
export async function sendCallbackSuccess(
  store: ExecutionStore,
  token: string,
  outputs: Record<string, string> | { Name: string; Value: string }[] = [],
  now = Date.now(),
): Promise<CallbackTokenRecord> {
  const list = Array.isArray(outputs) ? outputs : Object.entries(outputs).map(([Name, Value]) => ({ Name, Value }));
  const record = await store.redeemCallbackToken(hashCallbackToken(token), { outcome: 'succeeded', at: now, outputs: list });
  if (!record) throw tokenInvalid();
  return record;
}

/** Fails a waiting Callback step with a reason. Works from any process. */
export async function sendCallbackFailure(store: ExecutionStore, token: string, reason: string, now = Date.now()): Promise<CallbackTokenRecord> {
  const record = await store.redeemCallbackToken(hashCallbackToken(token), { outcome: 'failed', at: now, failureReason: reason });
  if (!record) throw tokenInvalid();
  return record;
}
