import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeS3 } from './fake-s3.js';
import { FakeSageMaker, type FakeSageMakerOptions } from './fake-sagemaker.js';
import type { JsonBody } from './wire.js';

/**
 * A loopback fake of the SageMaker (AWS JSON 1.1) and S3 (REST, path-style) HTTP APIs, so tests run
 * the real AWS SDK's serialization, SigV4 signing and retries against it.
 *
 * @example
 * const aws = await FakeAwsServer.start();
 * vi.stubEnv(...) for each of Object.entries(aws.env());   // endpoints and fake credentials
 * aws.sagemaker.throttle('CreateTrainingJob', 5);
 */
export class FakeAwsServer {
  readonly s3 = new FakeS3();
  readonly sagemaker: FakeSageMaker;
  private server: Server | undefined;
  private port = 0;

  private constructor(options: FakeSageMakerOptions) {
    this.sagemaker = new FakeSageMaker(this.s3, options);
  }

  /** Starts a fake on 127.0.0.1 at a random port. */
  static async start(options: FakeSageMakerOptions = {}): Promise<FakeAwsServer> {
    const fake = new FakeAwsServer(options);
    const server = createServer((req, res) => {
      fake.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'Content-Type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'InternalFailure', message: String(err) }));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    fake.server = server;
    fake.port = (server.address() as AddressInfo).port;
    return fake;
  }

  /** `http://127.0.0.1:<port>`. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Environment that points the SDK's default clients here, with fake credentials and no IMDS. */
  env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_SAGEMAKER: this.endpoint,
      AWS_ENDPOINT_URL_S3: this.endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  }

  /** Stops the server and drops open connections. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) {
      res.writeHead(403, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ __type: 'MissingAuthenticationTokenException', message: 'Request is not SigV4-signed.' }));
      return;
    }
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') return this.handleSageMaker(target, body, res);
    return this.s3.handle(req, res, body);
  }

  private handleSageMaker(target: string, body: Buffer, res: ServerResponse): void {
    const operation = target.replace(/^SageMaker\./, '');
    const input = (body.length > 0 ? JSON.parse(body.toString('utf8')) : {}) as JsonBody;
    const outcome = this.sagemaker.invoke(operation, input);
    const headers = { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() };
    if ('drop' in outcome) {
      res.socket?.destroy();
      return;
    }
    if ('error' in outcome) {
      res.writeHead(outcome.error.status, headers);
      res.end(JSON.stringify({ __type: outcome.error.code, message: outcome.error.message }));
      return;
    }
    res.writeHead(200, headers);
    res.end(JSON.stringify(outcome.body));
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
