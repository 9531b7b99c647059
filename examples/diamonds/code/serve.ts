/**
 * Model server for batch transform (SageMaker's serving contract): `GET /ping` answers 200 once
 * the model is loaded, `POST /invocations` takes `text/csv` feature rows and answers one
 * prediction per line. Listens on `SAGEMAKER_BIND_TO_PORT` (8080); SIGTERM closes it.
 * Usage: `node serve.ts`.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { parseNumericCsv } from './dataset.js';
import { loadModel, predict, type GbtModel } from './gbt.js';
import { optMl } from './opt-ml.js';
import { runIfMain } from './script.js';

/** Options of `startServer`. */
export interface ServerOptions {
  model: GbtModel;
  /** TCP port; 0 picks a free one. */
  port: number;
  log: Logger;
  /** Largest accepted request body, in bytes. @defaultValue 6 MiB (batch transform's default MaxPayloadInMB) */
  maxPayloadBytes?: number;
}

/** An HTTP error answered with its status and message. */
class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads a request body, refusing more than `limit` bytes. */
async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      throw new HttpError(413, `Payload over ${limit} bytes. To fix: lower MaxPayloadInMB or split the input by line.`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Scores a `text/csv` body of feature rows; answers one prediction per line. */
async function invocations(req: IncomingMessage, res: ServerResponse, options: ServerOptions): Promise<void> {
  const contentType = req.headers['content-type']?.split(';')[0]?.trim();
  if (contentType !== 'text/csv') {
    throw new HttpError(415, `Content type "${contentType ?? ''}" is not supported. To fix: send text/csv.`);
  }
  const body = await readBody(req, options.maxPayloadBytes ?? 6 * 1024 * 1024);
  let predictions: number[];
  try {
    predictions = predict(options.model, parseNumericCsv(body, 'request body'));
  } catch (err) {
    throw new HttpError(400, (err as Error).message);
  }
  res.writeHead(200, { 'content-type': 'text/csv' }).end(predictions.join('\n'));
}

/** Routes one request. */
async function handle(req: IncomingMessage, res: ServerResponse, options: ServerOptions): Promise<void> {
  const route = `${req.method ?? ''} ${req.url?.split('?')[0] ?? ''}`;
  if (route === 'GET /ping') {
    res.writeHead(200).end();
  } else if (route === 'POST /invocations') {
    await invocations(req, res, options);
  } else {
    throw new HttpError(404, `No route ${route}. To fix: use GET /ping or POST /invocations.`);
  }
}

/** Starts the server on `options.port` and resolves once it listens. */
export async function startServer(options: ServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    handle(req, res, options).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      options.log.warn({ err, status, url: req.url }, 'request failed');
      res.writeHead(status, { 'content-type': 'text/plain' }).end((err as Error).message);
    });
  });
  server.listen(options.port);
  await once(server, 'listening');
  options.log.info({ port: (server.address() as AddressInfo).port }, 'model server listening');
  return server;
}

/** Entry point: loads `/opt/ml/model/model.json`, serves until SIGTERM. */
export async function serve(_argv: readonly string[], log: Logger): Promise<void> {
  const model = await loadModel(path.join(optMl('/opt/ml/model'), 'model.json'));
  const server = await startServer({
    model,
    port: Number(process.env.SAGEMAKER_BIND_TO_PORT ?? 8080),
    log,
    ...(process.env.SAGEMAKER_MAX_PAYLOAD_IN_MB && {
      maxPayloadBytes: Number(process.env.SAGEMAKER_MAX_PAYLOAD_IN_MB) * 1024 * 1024,
    }),
  });
  await once(process, 'SIGTERM');
  server.close();
  server.closeIdleConnections();
  await once(server, 'close');
  log.info('model server stopped');
}

runIfMain(import.meta.url, { name: 'serve' }, serve);
