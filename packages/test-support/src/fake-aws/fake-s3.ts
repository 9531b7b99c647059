import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One stored object. */
export interface FakeS3Object {
  body: Buffer;
  etag: string;
  contentType: string;
  lastModified: Date;
}

/** One recorded S3 request: the operation (as the S3 API names it) and the object or bucket. */
export interface FakeS3Call {
  operation: FakeS3Operation;
  /** `s3://bucket/key`, or `s3://bucket/` for bucket operations. */
  uri: string;
  /** UploadPart only. */
  partNumber?: number;
}

/** The operations the fake serves. */
export type FakeS3Operation =
  | 'PutObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'CreateBucket'
  | 'HeadBucket'
  | 'ListObjectsV2'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload';

/** A multipart upload that was created and neither completed nor aborted. */
export interface FakeMultipartUpload {
  uploadId: string;
  uri: string;
  /** Part numbers received so far, ascending. */
  parts: number[];
}

interface StoredPart {
  body: Buffer;
  etag: string;
  /** `x-amz-checksum-*` headers sent with the part, echoed back as S3 does. */
  checksums: Record<string, string>;
}

interface Upload {
  bucket: string;
  key: string;
  contentType: string;
  /** `x-amz-checksum-algorithm` of CreateMultipartUpload, echoed back. */
  checksumAlgorithm: string | undefined;
  parts: Map<number, StoredPart>;
}

interface PartFault {
  remaining: number;
  code: string;
  status: number;
}

/** S3's limit on every part of a multipart upload but the last. */
const MIN_PART_BYTES = 5 * 1024 * 1024;
const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/**
 * An in-memory S3 speaking the REST subset Cairn uses, path-style only: PUT/GET/HEAD/DELETE object,
 * PUT/HEAD bucket, ListObjectsV2, and multipart uploads (CreateMultipartUpload, UploadPart,
 * CompleteMultipartUpload, AbortMultipartUpload; no ListParts). Buckets spring into existence on
 * first write. A multipart object's ETag is S3's: the MD5 of the parts' binary MD5s, then `-<parts>`.
 */
export class FakeS3 {
  /** Every request served, in order (no bodies). */
  readonly calls: FakeS3Call[] = [];
  private readonly buckets = new Map<string, Map<string, FakeS3Object>>();
  private readonly uploads = new Map<string, Upload>();
  private readonly partFaults = new Map<number, PartFault>();

  /** How many requests of `operation` the fake has served. */
  callCount(operation: FakeS3Operation): number {
    return this.calls.filter((call) => call.operation === operation).length;
  }

  /**
   * The next `times` UploadPart requests for part `partNumber` (of any upload) fail with `code`
   * (default `InternalError`, HTTP 500, which the SDK retries) and store nothing.
   */
  failUploadPart(partNumber: number, options: { times?: number; code?: string; status?: number } = {}): void {
    this.partFaults.set(partNumber, { remaining: options.times ?? 1, code: options.code ?? 'InternalError', status: options.status ?? 500 });
  }

  /** Multipart uploads created and neither completed nor aborted (parts S3 would keep, and bill). */
  pendingUploads(): FakeMultipartUpload[] {
    return [...this.uploads.entries()].map(([uploadId, upload]) => ({
      uploadId,
      uri: `s3://${upload.bucket}/${upload.key}`,
      parts: [...upload.parts.keys()].sort((a, b) => a - b),
    }));
  }

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

  private store(bucket: string, key: string, body: Buffer, contentType: string, etag = `"${md5(body).toString('hex')}"`): FakeS3Object {
    const object = { body, etag, contentType, lastModified: new Date() };
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
    const uri = `s3://${name}/${key}`;
    const uploadId = url.searchParams.get('uploadId');
    if (req.method === 'POST' && url.searchParams.has('uploads')) return this.createMultipartUpload(req, res, name, key);
    if (uploadId !== null) {
      switch (req.method) {
        case 'PUT':
          return this.uploadPart(req, res, uri, uploadId, url.searchParams.get('partNumber'), body);
        case 'POST':
          return this.completeMultipartUpload(req, res, uri, uploadId, body);
        case 'DELETE':
          return this.abortMultipartUpload(res, uri, uploadId);
        default:
          return xmlError(res, 501, 'NotImplemented', `${req.method} with an uploadId (ListParts) is not supported by the fake.`);
      }
    }
    switch (req.method) {
      case 'PUT': {
        this.calls.push({ operation: 'PutObject', uri });
        const object = this.store(name, key, decodePayload(req, body).bytes, req.headers['content-type'] ?? 'application/octet-stream');
        res.writeHead(200, { ETag: object.etag }).end();
        return;
      }
      case 'GET':
      case 'HEAD': {
        this.calls.push({ operation: req.method === 'GET' ? 'GetObject' : 'HeadObject', uri });
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
        this.calls.push({ operation: 'DeleteObject', uri });
        this.buckets.get(name)?.delete(key);
        res.writeHead(204).end();
        return;
      default:
        return xmlError(res, 405, 'MethodNotAllowed', `${req.method} is not supported by the fake.`);
    }
  }

  /** `POST /bucket/key?uploads`: an upload id in an InitiateMultipartUploadResult. */
  private createMultipartUpload(req: IncomingMessage, res: ServerResponse, bucket: string, key: string): void {
    this.calls.push({ operation: 'CreateMultipartUpload', uri: `s3://${bucket}/${key}` });
    const uploadId = randomBytes(24).toString('base64url');
    const checksumAlgorithm = header(req, 'x-amz-checksum-algorithm');
    this.uploads.set(uploadId, {
      bucket,
      key,
      contentType: req.headers['content-type'] ?? 'application/octet-stream',
      checksumAlgorithm,
      parts: new Map(),
    });
    res.writeHead(200, { 'Content-Type': 'application/xml', ...(checksumAlgorithm ? { 'x-amz-checksum-algorithm': checksumAlgorithm } : {}) });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult xmlns="${XMLNS}">` +
        `<Bucket>${escapeXml(bucket)}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
    );
  }

  /** `PUT /bucket/key?partNumber=N&uploadId=…`: stores (or replaces) a part; its ETag is the part's MD5. */
  private uploadPart(req: IncomingMessage, res: ServerResponse, uri: string, uploadId: string, partNumberText: string | null, body: Buffer): void {
    const partNumber = Number(partNumberText);
    this.calls.push({ operation: 'UploadPart', uri, partNumber });
    const upload = this.upload(res, uri, uploadId);
    if (!upload) return;
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
      return xmlError(res, 400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive.');
    }
    const fault = this.partFaults.get(partNumber);
    if (fault && fault.remaining > 0) {
      fault.remaining -= 1;
      return xmlError(res, fault.status, fault.code, `Injected ${fault.code} for part ${partNumber}.`);
    }
    const { bytes, trailers } = decodePayload(req, body);
    const checksums: Record<string, string> = {};
    for (const [name, value] of [...Object.entries(req.headers), ...Object.entries(trailers)]) {
      if (name.startsWith('x-amz-checksum-') && name !== 'x-amz-checksum-algorithm' && typeof value === 'string') checksums[name] = value;
    }
    const part = { body: bytes, etag: `"${md5(bytes).toString('hex')}"`, checksums };
    upload.parts.set(partNumber, part);
    res.writeHead(200, { ETag: part.etag, ...checksums }).end();
  }

  /**
   * `POST /bucket/key?uploadId=…` with a CompleteMultipartUpload body: the listed parts, in ascending
   * order with their ETags, become the object (unlisted parts are discarded), as S3 checks them.
   */
  private completeMultipartUpload(req: IncomingMessage, res: ServerResponse, uri: string, uploadId: string, body: Buffer): void {
    this.calls.push({ operation: 'CompleteMultipartUpload', uri });
    const upload = this.upload(res, uri, uploadId);
    if (!upload) return;
    const listed = [...body.toString('utf8').matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map(([, part = '']) => ({
      partNumber: Number(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(part)?.[1]),
      etag: unescapeXml(/<ETag>([\s\S]*?)<\/ETag>/.exec(part)?.[1] ?? ''),
    }));
    if (listed.length === 0) return xmlError(res, 400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
    const parts: StoredPart[] = [];
    for (const [index, { partNumber, etag }] of listed.entries()) {
      if (index > 0 && partNumber <= (listed[index - 1]?.partNumber ?? 0)) {
        return xmlError(res, 400, 'InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order of the part number.');
      }
      const part = upload.parts.get(partNumber);
      if (!part || unquote(part.etag) !== unquote(etag)) {
        return xmlError(res, 400, 'InvalidPart', `One or more of the specified parts could not be found (part ${partNumber}).`);
      }
      if (index < listed.length - 1 && part.body.length < MIN_PART_BYTES) {
        return xmlError(res, 400, 'EntityTooSmall', `Your proposed upload is smaller than the minimum allowed size (part ${partNumber}).`);
      }
      parts.push(part);
    }
    const etag = `"${md5(Buffer.concat(parts.map((p) => md5(p.body)))).toString('hex')}-${parts.length}"`;
    this.store(upload.bucket, upload.key, Buffer.concat(parts.map((p) => p.body)), upload.contentType, etag);
    this.uploads.delete(uploadId);
    res.writeHead(200, { 'Content-Type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult xmlns="${XMLNS}">` +
        `<Location>${escapeXml(`http://${req.headers.host ?? 'localhost'}${new URL(req.url ?? '/', 'http://localhost').pathname}`)}</Location><Bucket>${escapeXml(upload.bucket)}</Bucket>` +
        `<Key>${escapeXml(upload.key)}</Key><ETag>${escapeXml(etag)}</ETag></CompleteMultipartUploadResult>`,
    );
  }

  /** `DELETE /bucket/key?uploadId=…`: drops the upload and its parts. */
  private abortMultipartUpload(res: ServerResponse, uri: string, uploadId: string): void {
    this.calls.push({ operation: 'AbortMultipartUpload', uri });
    if (!this.upload(res, uri, uploadId)) return;
    this.uploads.delete(uploadId);
    res.writeHead(204).end();
  }

  /** The upload `uploadId` of the object `uri`, or undefined after answering NoSuchUpload. */
  private upload(res: ServerResponse, uri: string, uploadId: string): Upload | undefined {
    const upload = this.uploads.get(uploadId);
    if (upload && `s3://${upload.bucket}/${upload.key}` === uri) return upload;
    xmlError(
      res,
      404,
      'NoSuchUpload',
      'The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.',
    );
    return undefined;
  }

  private bucketRequest(req: IncomingMessage, res: ServerResponse, bucket: string, url: URL): void {
    if (req.method === 'PUT' || req.method === 'HEAD') {
      this.calls.push({ operation: req.method === 'PUT' ? 'CreateBucket' : 'HeadBucket', uri: `s3://${bucket}/` });
      if (req.method === 'PUT') this.bucket(bucket);
      res.writeHead(200).end();
      return;
    }
    if (req.method !== 'GET' || url.searchParams.get('list-type') !== '2') {
      return xmlError(res, 400, 'NotImplemented', 'The fake supports ListObjectsV2 only on buckets.');
    }
    this.calls.push({ operation: 'ListObjectsV2', uri: `s3://${bucket}/` });
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

/**
 * The object bytes of a PUT, and its trailing headers: the SDK may send `aws-chunked` bodies with
 * trailing checksums (`x-amz-checksum-crc32:…` after the last, empty chunk).
 */
function decodePayload(req: IncomingMessage, body: Buffer): { bytes: Buffer; trailers: Record<string, string> } {
  const chunked =
    String(req.headers['content-encoding'] ?? '').includes('aws-chunked') ||
    String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
  if (!chunked) return { bytes: body, trailers: {} };
  const parts: Buffer[] = [];
  const trailers: Record<string, string> = {};
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(body.subarray(offset, lineEnd).toString('latin1').split(';')[0] ?? '0', 16);
    if (!size) {
      for (const line of body.subarray(lineEnd + 2).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      break;
    }
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return { bytes: Buffer.concat(parts), trailers };
}

function md5(data: Buffer): Buffer {
  return createHash('md5').update(data).digest();
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function unquote(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}

function xmlError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'Content-Type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function unescapeXml(text: string): string {
  const named: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>', apos: "'" };
  return text.replace(/&(#x[0-9a-f]+|#\d+|quot|amp|lt|gt|apos);/gi, (_, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return named[entity.toLowerCase()] ?? '';
  });
}
