import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One stored object. */
export interface FakeS3Object {
  body: Buffer;
  etag: string;
  contentType: string;
  lastModified: Date;
}

/**
 * An in-memory S3 speaking the REST subset Cairn uses, path-style only: PUT/GET/HEAD object,
 * PUT bucket and ListObjectsV2. Buckets spring into existence on first write.
 */
export class FakeS3 {
  private readonly buckets = new Map<string, Map<string, FakeS3Object>>();

  /** Stores an object (for test set-up, or a fake job writing its outputs). */
  putObject(uri: string, body: string | Uint8Array, contentType = 'application/octet-stream'): FakeS3Object {
    const { bucket, key } = splitUri(uri);
    return this.store(bucket, key, Buffer.from(body), contentType);
  }

  /** The object at `uri`, or undefined. */
  getObject(uri: string): FakeS3Object | undefined {
    const { bucket, key } = splitUri(uri);
    return this.buckets.get(bucket)?.get(key);
  }

  /** The object at `uri` as UTF-8 text, or undefined. */
  readText(uri: string): string | undefined {
    return this.getObject(uri)?.body.toString('utf8');
  }

  /** URIs of the objects under a prefix, sorted. */
  list(prefixUri: string): string[] {
    const { bucket, key } = splitUri(prefixUri, true);
    const objects = this.buckets.get(bucket);
    if (!objects) return [];
    return [...objects.keys()]
      .filter((k) => k.startsWith(key))
      .sort()
      .map((k) => `s3://${bucket}/${k}`);
  }

  private store(bucket: string, key: string, body: Buffer, contentType: string): FakeS3Object {
    const object = { body, etag: `"${createHash('md5').update(body).digest('hex')}"`, contentType, lastModified: new Date() };
    this.bucket(bucket).set(key, object);
    return object;
  }

  private bucket(name: string): Map<string, FakeS3Object> {
    let objects = this.buckets.get(name);
    if (!objects) {
      objects = new Map();
      this.buckets.set(name, objects);
    }
    return objects;
  }

  /** Serves one S3 REST request. */
  async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [bucket = '', ...rest] = url.pathname.slice(1).split('/');
    const key = decodeURIComponent(rest.join('/'));
    const name = decodeURIComponent(bucket);
    if (!name) return xmlError(res, 400, 'InvalidRequest', 'Only path-style requests are supported.');
    if (!key) return this.bucketRequest(req, res, name, url);
    switch (req.method) {
      case 'PUT': {
        const object = this.store(name, key, decodePayload(req, body), req.headers['content-type'] ?? 'application/octet-stream');
        res.writeHead(200, { ETag: object.etag }).end();
        return;
      }
      case 'GET':
      case 'HEAD': {
        const object = this.buckets.get(name)?.get(key);
        if (!object) {
          if (req.method === 'HEAD') return void res.writeHead(404).end();
          return xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
        }
        res.writeHead(200, {
          ETag: object.etag,
          'Content-Type': object.contentType,
          'Content-Length': object.body.length,
          'Last-Modified': object.lastModified.toUTCString(),
        });
        res.end(req.method === 'GET' ? object.body : undefined);
        return;
      }
      case 'DELETE':
        this.buckets.get(name)?.delete(key);
        res.writeHead(204).end();
        return;
      default:
        return xmlError(res, 405, 'MethodNotAllowed', `${req.method} is not supported by the fake.`);
    }
  }

  private bucketRequest(req: IncomingMessage, res: ServerResponse, bucket: string, url: URL): void {
    if (req.method === 'PUT' || req.method === 'HEAD') {
      if (req.method === 'PUT') this.bucket(bucket);
      res.writeHead(200).end();
      return;
    }
    if (req.method !== 'GET' || url.searchParams.get('list-type') !== '2') {
      return xmlError(res, 400, 'NotImplemented', 'The fake supports ListObjectsV2 only on buckets.');
    }
    const prefix = url.searchParams.get('prefix') ?? '';
    const maxKeys = Number(url.searchParams.get('max-keys') ?? 1000);
    const after = url.searchParams.get('continuation-token') ?? url.searchParams.get('start-after') ?? '';
    const keys = [...(this.buckets.get(bucket)?.entries() ?? [])]
      .filter(([k]) => k.startsWith(prefix) && k > after)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    const page = keys.slice(0, maxKeys);
    const truncated = keys.length > page.length;
    const contents = page
      .map(
        ([k, o]) =>
          `<Contents><Key>${escapeXml(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified>` +
          `<ETag>${escapeXml(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      )
      .join('');
    const next = truncated ? `<NextContinuationToken>${escapeXml(page.at(-1)?.[0] ?? '')}</NextContinuationToken>` : '';
    res.writeHead(200, { 'Content-Type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `<Name>${escapeXml(bucket)}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount>` +
        `<MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`,
    );
  }
}

function splitUri(uri: string, allowEmptyKey = false): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match?.[1] || (!allowEmptyKey && !match[2])) throw new Error(`Not an s3://bucket/key URI: ${uri}`);
  return { bucket: match[1], key: match[2] ?? '' };
}

/** The object bytes of a PUT: the SDK may send `aws-chunked` bodies with trailing checksums. */
function decodePayload(req: IncomingMessage, body: Buffer): Buffer {
  const chunked =
    String(req.headers['content-encoding'] ?? '').includes('aws-chunked') ||
    String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
  if (!chunked) return body;
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(body.subarray(offset, lineEnd).toString('latin1').split(';')[0] ?? '0', 16);
    if (!size) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function xmlError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'Content-Type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
