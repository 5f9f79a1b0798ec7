/**
 * The Google Cloud Storage destination, on @google-cloud/storage (JSON API).
 *
 * ```text
 * check   read_write ─▶ GET /storage/v1/b/{bucket}
 *         write_only ─▶ POST …/o?uploadType=multipart  {prefix}/.write_probe_<hex>, then DELETE (ignored)
 * upload  ─▶ POST …/o?uploadType=resumable (session URI) ─▶ PUT chunk (308) … PUT last (200 + crc32c)
 *            streamed from the file; the SDK checks the returned crc32c against the bytes sent
 * presign ─▶ V4 signed URL (GOOG4-RSA-SHA256), signed locally with the service-account key,
 *            or through IAM signBlob for an auth client that names its service account
 * ```
 *
 * Credentials are always explicit (a service-account key or a ready auth client): the
 * library is never left to look for application default credentials, which would probe
 * the cloud metadata server. Retries are few and short, so a dead endpoint fails in
 * seconds.
 *
 * @see https://cloud.google.com/storage/docs/performing-resumable-uploads
 * @see https://cloud.google.com/storage/docs/access-control/signed-urls
 */
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IdempotencyStrategy, Storage, type StorageOptions } from '@google-cloud/storage';
import type { AuthClient } from 'google-auth-library';
import { TapedeckError } from '../../errors.js';
import type {
  CheckInput,
  PresignedUrl,
  StorageConfig,
  StorageDestination,
  UploadInput,
  UploadResult,
} from '../types.js';
import { bridgeAuthClient, serviceAccountEmailOf } from './gcs-auth-bridge.js';
import { classifyGcsError } from './gcs-errors.js';
import { assertReadable, PROBE_BODY, probeKey } from './provider-common.js';

export type GcsDestinationOptions = {
  /** A ready auth client (federated; built by another engineer). */
  readonly authClient?: AuthClient;
  /** Parsed service-account JSON (from StorageSecrets.gcsCredentials). */
  readonly credentials?: { client_email: string; private_key: string; project_id?: string };
  /** Resumable chunk, a multiple of 256 KiB; default 16 MiB. */
  readonly chunkSizeBytes?: number;
  /** IAM credentials base for signBlob with an auth client; default `https://iamcredentials.googleapis.com`. */
  readonly iamCredentialsEndpoint?: string;
};

const DEFAULT_ENDPOINT = 'https://storage.googleapis.com';
const DEFAULT_IAM_ENDPOINT = 'https://iamcredentials.googleapis.com';
const CHUNK_QUANTUM = 256 * 1024;
const DEFAULT_CHUNK = 16 * 1024 * 1024;
/** V4 signed URLs live at most seven days. */
const MAX_SIGNED_TTL_SECONDS = 7 * 24 * 3600;

function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new TapedeckError('ABORTED', `${what}: aborted`);
}

export function createGcsDestination(
  config: StorageConfig,
  options: GcsDestinationOptions,
): StorageDestination {
  if (config.storageType !== 'gcs') throw new TypeError('config.storageType must be "gcs"');
  if (!config.bucket) throw new TypeError('config.bucket must name a GCS bucket');
  const { authClient, credentials } = options;
  if (!authClient && !credentials) {
    throw new TapedeckError(
      'STORAGE_CONFIG_INVALID',
      `gcs storage "${config.name}": a service-account key or federation is required (no ambient credentials are used)`,
    );
  }
  if (credentials && (!credentials.client_email || !credentials.private_key)) {
    throw new TypeError('options.credentials needs client_email and private_key');
  }
  const chunkSize = options.chunkSizeBytes ?? DEFAULT_CHUNK;
  if (!Number.isInteger(chunkSize) || chunkSize <= 0 || chunkSize % CHUNK_QUANTUM !== 0) {
    throw new RangeError('options.chunkSizeBytes must be a positive multiple of 262144');
  }
  const bucketName = config.bucket;
  const endpoint = (config.gcs?.endpointUrl ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const projectId = config.gcs?.projectId ?? credentials?.project_id;
  const signerEmail =
    credentials?.client_email ?? (authClient ? serviceAccountEmailOf(authClient) : undefined);

  const storageOptions: StorageOptions = {
    apiEndpoint: endpoint,
    useAuthWithCustomEndpoint: true,
    ...(projectId === undefined ? {} : { projectId }),
    retryOptions: {
      autoRetry: true,
      maxRetries: 2,
      retryDelayMultiplier: 2,
      maxRetryDelay: 1,
      // Counted from the start of a whole resumable upload: past it, no chunk is retried,
      // so it must outlast the longest upload (maxRetries bounds the retries anyway).
      totalTimeout: 6 * 3600,
      // Writes go to fresh keys (and probes), so a retried request cannot clobber
      // anything; without this, storage 7 never retries an upload chunk.
      idempotencyStrategy: IdempotencyStrategy.RetryAlways,
    },
    ...(credentials
      ? {
          credentials: {
            client_email: credentials.client_email,
            private_key: credentials.private_key,
          },
          clientOptions: { universeDomain: 'googleapis.com' },
        }
      : {
          // The email lets GoogleAuth sign through IAM signBlob with the bridged client.
          ...(signerEmail === undefined ? {} : { credentials: { client_email: signerEmail } }),
          authClient: bridgeAuthClient(authClient!) as unknown as NonNullable<
            StorageOptions['authClient']
          >,
          clientOptions: { universeDomain: 'googleapis.com' },
        }),
  };
  const storage = new Storage(storageOptions);
  if (credentials) {
    // A self-signed JWT carrying the scope (as Google's Go storage client does) instead of
    // a token exchange: no extra round trip, and nothing to reach but the endpoint.
    storage.authClient.useJWTAccessWithScope = true;
  }
  const bucket = storage.bucket(bucketName);
  let closed = false;
  const ensureOpen = (): void => {
    if (closed)
      throw new TapedeckError('INTERNAL', `gcs bucket "${bucketName}": the destination is closed`);
  };

  async function check(input: CheckInput): Promise<void> {
    ensureOpen();
    throwIfAborted(input.signal, `check on gcs bucket "${bucketName}"`);
    if (input.accessMode === 'read_write') {
      try {
        await bucket.getMetadata();
      } catch (error) {
        throw classifyGcsError(error, bucketName, 'check');
      }
      return;
    }
    const prefixes = input.prefixes.length === 0 ? [''] : [...new Set(input.prefixes)];
    for (const prefix of prefixes) {
      throwIfAborted(input.signal, `check on gcs bucket "${bucketName}"`);
      const file = bucket.file(probeKey(prefix));
      try {
        await file.save(PROBE_BODY, {
          resumable: false,
          contentType: 'text/plain',
          validation: 'crc32c',
        });
      } catch (error) {
        throw classifyGcsError(error, bucketName, `write probe under "${prefix}"`);
      }
      try {
        await file.delete({ ignoreNotFound: true });
      } catch {
        // write_only credentials may not delete; the probe stays.
      }
    }
  }

  async function upload(input: UploadInput): Promise<UploadResult> {
    ensureOpen();
    throwIfAborted(input.signal, `upload of "${input.key}" on gcs bucket "${bucketName}"`);
    await assertReadable(input.file, input.key);
    const file = bucket.file(input.key);
    const metadata = {
      contentType: input.contentType,
      ...(input.sha256 === undefined ? {} : { metadata: { sha256: input.sha256 } }),
    };
    // The session is opened first and handed to the stream: storage 7 drops
    // `useAuthWithCustomEndpoint` when createWriteStream opens it itself, so an endpoint
    // outside googleapis.com would get an unauthenticated initiation. The session URI
    // authorises its own chunk PUTs, as in GCS.
    let sessionUri: string;
    try {
      [sessionUri] = await file.createResumableUpload({ metadata });
    } catch (error) {
      throw classifyGcsError(error, bucketName, `upload of "${input.key}"`);
    }
    const writable = file.createWriteStream({
      resumable: true,
      uri: sessionUri,
      chunkSize,
      contentType: input.contentType,
      metadata,
      validation: 'crc32c',
    });
    const onProgress = input.onProgress;
    if (onProgress) {
      writable.on('progress', (p: { bytesWritten?: number }) => {
        if (typeof p.bytesWritten === 'number') onProgress(p.bytesWritten);
      });
    }
    let sizeBytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        sizeBytes += chunk.length;
        callback(null, chunk);
      },
    });
    try {
      await pipeline(
        createReadStream(input.file),
        counter,
        writable,
        ...(input.signal ? [{ signal: input.signal }] : []),
      );
    } catch (error) {
      throw classifyGcsError(error, bucketName, `upload of "${input.key}"`);
    }
    const resource = file.metadata;
    if (resource.size !== undefined && Number(resource.size) !== sizeBytes) {
      throw new TapedeckError(
        'DESTINATION_INTEGRITY_FAILED',
        `upload of "${input.key}" on gcs bucket "${bucketName}": stored object has ${String(resource.size)} bytes, ${sizeBytes} were sent`,
      );
    }
    return {
      key: input.key,
      uri: uri(input.key),
      ...(typeof resource.etag === 'string' ? { etag: resource.etag } : {}),
    };
  }

  async function presign(key: string, ttlSeconds: number): Promise<PresignedUrl> {
    ensureOpen();
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_SIGNED_TTL_SECONDS) {
      throw new RangeError(`ttlSeconds must be an integer from 1 to ${MAX_SIGNED_TTL_SECONDS}`);
    }
    if (!credentials && signerEmail === undefined) {
      throw new TapedeckError(
        'DESTINATION_AUTH_FAILED',
        `gcs bucket "${bucketName}": cannot sign URLs: the auth client names no service account (configure federation.serviceAccountEmail or a key)`,
      );
    }
    const nowMs = Date.now();
    const expiresMs = nowMs + ttlSeconds * 1000;
    try {
      const [url] = await bucket.file(key).getSignedUrl({
        version: 'v4',
        action: 'read',
        expires: expiresMs,
        ...(credentials
          ? {}
          : {
              signingEndpoint: `${(options.iamCredentialsEndpoint ?? DEFAULT_IAM_ENDPOINT).replace(/\/+$/, '')}/v1/projects/-/serviceAccounts/`,
            }),
      });
      return { url, expiresAt: Math.floor(expiresMs / 1000) };
    } catch (error) {
      throw classifyGcsError(error, bucketName, `signing a URL for "${key}"`);
    }
  }

  async function remove(key: string): Promise<void> {
    ensureOpen();
    try {
      await bucket.file(key).delete({ ignoreNotFound: true });
    } catch (error) {
      throw classifyGcsError(error, bucketName, `delete of "${key}"`);
    }
  }

  function uri(key: string): string {
    return `gs://${bucketName}/${key}`;
  }

  return {
    storageType: 'gcs',
    bucket: bucketName,
    check,
    upload,
    presign,
    delete: remove,
    uri,
    close: () => {
      closed = true;
      return Promise.resolve();
    },
  };
}
