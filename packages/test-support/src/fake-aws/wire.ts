/** JSON as it travels in AWS JSON 1.1 bodies. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
/** A JSON object body. */
export type JsonBody = { [key: string]: Json };

/** An error the fake returns the way AWS does: a code (`__type`), an HTTP status and a message. */
export class FakeAwsError extends Error {
  override readonly name = 'FakeAwsError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** HTTP status AWS uses for a SageMaker error code. */
export function statusForCode(code: string): number {
  if (code === 'ServiceUnavailable') return 503;
  if (code === 'InternalFailure' || code === 'InternalServerError') return 500;
  return 400;
}

/** `NextToken` is the offset of the next page; `MaxResults` defaults to 100. */
export function paginate(items: JsonBody[], input: JsonBody, member: string): JsonBody {
  const start = Number(input['NextToken'] ?? 0);
  const size = Number(input['MaxResults'] ?? 100);
  const page = items.slice(start, start + size);
  const next = start + size < items.length ? { NextToken: String(start + size) } : {};
  return { [member]: page, ...next };
}
