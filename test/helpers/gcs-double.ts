/**
 * A small loopback double of the Google Cloud Storage JSON API, for tests.
 *
 * No GCS emulator installs offline on these machines (fake-gcs-server needs Go modules,
 * the Firebase emulator needs Java and a download), so this double stands in. It speaks
 * enough of the JSON API for @google-cloud/storage:
 *
 * ```text
 * GET    /storage/v1/b/{bucket}                         bucket resource
 * POST   /upload/storage/v1/b/{bucket}/o?uploadType=media|multipart      object resource
 * POST   /upload/storage/v1/b/{bucket}/o?uploadType=resumable  ──▶ 200 + Location: session
 * PUT    {session}  Content-Range: bytes a-b/(star)  ──▶ 308 Range: bytes=0-b
 * PUT    {session}  Content-Range: bytes a-b/total ──▶ 200 object resource (crc32c, md5Hash)
 * PUT    {session}  Content-Range: bytes (star)/(star) ──▶ 308 (status query)
 * GET    /storage/v1/b/{bucket}/o[?prefix=]            list
 * GET    /storage/v1/b/{bucket}/o/{object}[?alt=media]  resource or bytes
 * DELETE /storage/v1/b/{bucket}/o/{object}             204
 * GET    /{bucket}/{object}?X-Goog-Signature=…         V4 signed download (RSA verified)
 * POST   /v1/projects/-/serviceAccounts/{email}:signBlob  IAM credentials signBlob
 * ```
 *
 * Every request is recorded; the `Authorization: Bearer` token is checked (401 otherwise),
 * except on a resumable session's URI, which (as in GCS) is its own credential;
 * unknown buckets answer 404 in GCS's JSON error format. Faults can be injected.
 * Binds 127.0.0.1 on a free port.
 */
import { randomBytes, sign, type KeyObject } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  bearerAccepted,
  crc32cBase64,
  gcsErrorBody,
  md5Base64,
  parseMultipartRelated,
  verifyV4SignedUrl,
  objectResource,
  type BearerCheck,
  type StoredObject,
} from './gcs-double-support.js';

export type { StoredObject } from './gcs-double-support.js';

// Never let google-auth-library probe the cloud metadata server from a test process.
process.env['METADATA_SERVER_DETECTION'] = 'none';

export type RecordedRequest = {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
  readonly bodyBytes: number;
  /** The status the double answered. */
  status: number;
};

export type GcsDoubleFault = {
  readonly match: (request: RecordedRequest) => boolean;
  readonly status: number;
  /** How many matching requests fail; the rest pass. */
  times: number;
};

export type GcsDoubleOptions = {
  readonly auth: BearerCheck;
  readonly buckets: readonly string[];
  /** Verifies V4 signed URLs served at `/{bucket}/{object}`. */
  readonly signingPublicKey?: KeyObject;
  /** Answers IAM `POST /v1/projects/-/serviceAccounts/{email}:signBlob` with this key. */
  readonly signBlob?: { readonly clientEmail: string; readonly privateKey: KeyObject };
};

type Session = {
  readonly bucket: string;
  readonly name: string;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
  chunks: Buffer[];
  received: number;
};

export class GcsDouble {
  readonly requests: RecordedRequest[] = [];
  readonly faults: GcsDoubleFault[] = [];
  /** When set, final upload responses report a wrong crc32c/md5 (integrity tests). */
  corruptChecksums = false;
  readonly #buckets = new Map<string, Map<string, StoredObject>>();
  readonly #sessions = new Map<string, Session>();
  readonly #options: GcsDoubleOptions;
  readonly #server: Server;
  #generation = 1_700_000_000_000_000;
  url = '';

  private constructor(options: GcsDoubleOptions) {
    this.#options = options;
    for (const b of options.buckets) this.#buckets.set(b, new Map());
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(gcsErrorBody(500, 'backendError', String(error)));
      });
    });
  }

  static async start(options: GcsDoubleOptions): Promise<GcsDouble> {
    const double = new GcsDouble(options);
    await new Promise<void>((resolve) => double.#server.listen(0, '127.0.0.1', resolve));
    double.url = `http://127.0.0.1:${(double.#server.address() as AddressInfo).port}`;
    return double;
  }

  objects(bucket: string): Map<string, StoredObject> {
    const objects = this.#buckets.get(bucket);
    if (!objects) throw new Error(`unknown bucket ${bucket}`);
    return objects;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      bodyBytes: body.length,
      status: 0,
    };
    this.requests.push(recorded);
    const answer = (
      status: number,
      payload?: unknown,
      headers: Record<string, string> = {},
    ): void => {
      recorded.status = status;
      if (Buffer.isBuffer(payload)) {
        res.writeHead(status, headers);
        res.end(payload);
      } else if (payload === undefined) {
        res.writeHead(status, headers);
        res.end();
      } else {
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
        res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
      }
    };

    const fault = this.faults.find((f) => f.times > 0 && f.match(recorded));
    if (fault) {
      fault.times--;
      answer(fault.status, gcsErrorBody(fault.status, 'backendError', 'Injected failure'));
      return;
    }

    if (url.searchParams.has('X-Goog-Signature')) {
      this.#signedDownload(url, recorded, answer);
      return;
    }
    // As in GCS, a resumable session's URI is its own credential: no bearer needed.
    const sessionRequest =
      recorded.method === 'PUT' && this.#sessions.has(url.searchParams.get('upload_id') ?? '');
    if (!sessionRequest && !bearerAccepted(req.headers.authorization, this.#options.auth)) {
      answer(401, gcsErrorBody(401, 'authError', 'Invalid Credentials'), {
        'www-authenticate': 'Bearer realm="https://accounts.google.com/"',
      });
      return;
    }

    const signBlob = /^\/v1\/projects\/-\/serviceAccounts\/([^/]+):signBlob$/.exec(url.pathname);
    if (signBlob && recorded.method === 'POST') {
      const signer = this.#options.signBlob;
      if (!signer || decodeURIComponent(signBlob[1]!) !== signer.clientEmail) {
        answer(
          403,
          gcsErrorBody(403, 'forbidden', 'Permission iam.serviceAccounts.signBlob denied'),
        );
        return;
      }
      const { payload } = JSON.parse(body.toString('utf8')) as { payload: string };
      const signedBlob = sign(
        'RSA-SHA256',
        Buffer.from(payload, 'base64'),
        signer.privateKey,
      ).toString('base64');
      answer(200, { keyId: 'double-key', signedBlob });
      return;
    }

    const m = /^\/(upload\/)?storage\/v1\/b\/([^/]+)(?:\/o(?:\/(.+))?)?$/.exec(url.pathname);
    if (!m) {
      answer(404, gcsErrorBody(404, 'notFound', 'Not Found'));
      return;
    }
    const upload = m[1] !== undefined;
    const bucketName = decodeURIComponent(m[2]!);
    const hasObjects = /\/o(\/|$)/.test(url.pathname);
    const objectName = m[3] === undefined ? undefined : decodeURIComponent(m[3]);
    const objects = this.#buckets.get(bucketName);
    if (!objects) {
      answer(404, gcsErrorBody(404, 'notFound', 'The specified bucket does not exist.'));
      return;
    }
    const method = recorded.method;

    if (!upload && !hasObjects && method === 'GET') {
      answer(200, {
        kind: 'storage#bucket',
        id: bucketName,
        name: bucketName,
        location: 'US',
        storageClass: 'STANDARD',
      });
      return;
    }
    if (upload && method === 'POST') {
      this.#startUpload(url, req, body, bucketName, answer);
      return;
    }
    if (upload && method === 'PUT') {
      this.#resumableChunk(url, req, body, answer);
      return;
    }
    if (objectName === undefined && method === 'GET') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const items = [...objects.entries()]
        .filter(([name]) => name.startsWith(prefix))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, o]) => objectResource(bucketName, name, o, this.corruptChecksums));
      answer(200, { kind: 'storage#objects', items });
      return;
    }
    if (objectName !== undefined) {
      const object = objects.get(objectName);
      if (!object) {
        answer(404, gcsErrorBody(404, 'notFound', `No such object: ${bucketName}/${objectName}`));
      } else if (method === 'DELETE') {
        objects.delete(objectName);
        answer(204);
      } else if (method === 'GET' && url.searchParams.get('alt') === 'media') {
        answer(200, object.bytes, {
          'content-type': object.contentType,
          'x-goog-hash': `crc32c=${crc32cBase64(object.bytes)},md5=${md5Base64(object.bytes)}`,
        });
      } else if (method === 'GET') {
        answer(200, objectResource(bucketName, objectName, object, this.corruptChecksums));
      } else {
        answer(405, gcsErrorBody(405, 'methodNotAllowed', 'Method not allowed'));
      }
      return;
    }
    answer(400, gcsErrorBody(400, 'invalid', 'Unsupported request'));
  }

  #startUpload(
    url: URL,
    req: IncomingMessage,
    body: Buffer,
    bucket: string,
    answer: (s: number, p?: unknown, h?: Record<string, string>) => void,
  ): void {
    const type = url.searchParams.get('uploadType');
    if (type === 'resumable') {
      const meta = (body.length ? JSON.parse(body.toString('utf8')) : {}) as {
        name?: string;
        contentType?: string;
        metadata?: Record<string, string>;
      };
      const name = url.searchParams.get('name') ?? meta.name;
      if (!name) return answer(400, gcsErrorBody(400, 'required', 'Required: name'));
      const id = randomBytes(12).toString('hex');
      const contentType =
        meta.contentType ??
        String(req.headers['x-upload-content-type'] ?? 'application/octet-stream');
      this.#sessions.set(id, {
        bucket,
        name,
        contentType,
        metadata: meta.metadata ?? {},
        chunks: [],
        received: 0,
      });
      const location = `${this.url}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
      return answer(200, undefined, { location });
    }
    if (type === 'media') {
      const name = url.searchParams.get('name');
      if (!name) return answer(400, gcsErrorBody(400, 'required', 'Required: name'));
      const contentType = String(req.headers['content-type'] ?? 'application/octet-stream');
      return answer(200, this.#store(bucket, name, body, contentType, {}));
    }
    if (type === 'multipart') {
      const [metaPart, mediaPart] = parseMultipartRelated(
        body,
        String(req.headers['content-type'] ?? ''),
      );
      if (!metaPart || !mediaPart)
        return answer(400, gcsErrorBody(400, 'invalid', 'Bad multipart body'));
      const meta = JSON.parse(metaPart.toString('utf8')) as {
        name?: string;
        contentType?: string;
        metadata?: Record<string, string>;
      };
      const name = url.searchParams.get('name') ?? meta.name;
      if (!name) return answer(400, gcsErrorBody(400, 'required', 'Required: name'));
      return answer(
        200,
        this.#store(
          bucket,
          name,
          mediaPart,
          meta.contentType ?? 'application/octet-stream',
          meta.metadata ?? {},
        ),
      );
    }
    return answer(400, gcsErrorBody(400, 'invalid', `Unsupported uploadType ${type ?? ''}`));
  }

  #resumableChunk(
    url: URL,
    req: IncomingMessage,
    body: Buffer,
    answer: (s: number, p?: unknown, h?: Record<string, string>) => void,
  ): void {
    const session = this.#sessions.get(url.searchParams.get('upload_id') ?? '');
    if (!session) return answer(404, gcsErrorBody(404, 'notFound', 'No such upload session'));
    const range = String(req.headers['content-range'] ?? '');
    const rangeHeader = (): Record<string, string> =>
      session.received > 0 ? { range: `bytes=0-${session.received - 1}` } : {};
    const status = /^bytes \*\/(\*|\d+)$/.exec(range);
    if (status) return answer(308, undefined, rangeHeader());
    const m = /^bytes (\d+)-(\d+|\*)\/(\*|\d+)$/.exec(range);
    if (!m) return answer(400, gcsErrorBody(400, 'invalid', `Bad Content-Range ${range}`));
    const start = Number(m[1]);
    if (start !== session.received) {
      // A retried chunk overlapping what arrived keeps only the new tail.
      if (start > session.received)
        return answer(400, gcsErrorBody(400, 'invalid', 'Non-contiguous chunk'));
    }
    const fresh = body.subarray(session.received - start);
    session.chunks.push(fresh);
    session.received += fresh.length;
    if (m[3] === '*' || Number(m[3]) !== session.received)
      return answer(308, undefined, rangeHeader());
    const bytes = Buffer.concat(session.chunks);
    const goodHash = String(req.headers['x-goog-hash'] ?? '')
      .split(',')
      .filter(Boolean);
    for (const entry of goodHash) {
      const [alg, value] = entry.split(/=(.*)/s);
      const actual =
        alg === 'crc32c' ? crc32cBase64(bytes) : alg === 'md5' ? md5Base64(bytes) : value;
      if (actual !== value)
        return answer(
          400,
          gcsErrorBody(400, 'invalid', `Provided ${alg} does not match the object`),
        );
    }
    this.#sessions.delete(url.searchParams.get('upload_id') ?? '');
    return answer(
      200,
      this.#store(session.bucket, session.name, bytes, session.contentType, session.metadata),
    );
  }

  #signedDownload(
    url: URL,
    recorded: RecordedRequest,
    answer: (s: number, p?: unknown, h?: Record<string, string>) => void,
  ): void {
    const key = this.#options.signingPublicKey;
    const refusal = key
      ? verifyV4SignedUrl(recorded.method, url, key, Date.now())
      : 'no signing key configured';
    if (refusal !== undefined)
      return answer(403, gcsErrorBody(403, 'forbidden', `SignatureDoesNotMatch: ${refusal}`));
    const [, bucket, ...rest] = url.pathname.split('/');
    const object = this.#buckets
      .get(decodeURIComponent(bucket ?? ''))
      ?.get(decodeURIComponent(rest.join('/')));
    if (!object) return answer(404, gcsErrorBody(404, 'notFound', 'No such object'));
    return answer(200, object.bytes, { 'content-type': object.contentType });
  }

  #store(
    bucket: string,
    name: string,
    bytes: Buffer,
    contentType: string,
    metadata: Record<string, string>,
  ): unknown {
    const object: StoredObject = {
      bytes,
      contentType,
      metadata,
      generation: String(this.#generation++),
    };
    this.objects(bucket).set(name, object);
    return objectResource(bucket, name, object, this.corruptChecksums);
  }
}
