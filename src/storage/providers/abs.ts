/**
 * The Azure Blob Storage destination, on @azure/storage-blob.
 *
 * ```text
 * check   read_write ─▶ GET {endpoint}/{container}?restype=container   (container properties)
 *         write_only ─▶ PUT {container}/{prefix}/.write_probe_<hex>, then DELETE (ignored)
 * upload  ─▶ PUT ?comp=block&blockid=… × n (blockSize, `concurrency` in flight)
 *            ─▶ PUT ?comp=blocklist (content type, sha256 metadata) ─▶ size confirmed
 * presign ─▶ SAS with read permission: a service SAS signed with the account key, or a
 *            user delegation SAS (GET ?restype=service&comp=userdelegationkey) with a token
 * ```
 *
 * Retries are few and short (3 tries, sub-second delays), so a dead endpoint fails in
 * seconds.
 *
 * @see https://learn.microsoft.com/rest/api/storageservices/put-block-list
 * @see https://learn.microsoft.com/rest/api/storageservices/create-user-delegation-sas
 */
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import type { TokenCredential } from '@azure/identity';
import {
  BlobSASPermissions,
  BlobServiceClient,
  StorageRetryPolicyType,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import { TapedeckError } from '../../errors.js';
import type {
  CheckInput,
  PresignedUrl,
  StorageConfig,
  StorageDestination,
  UploadInput,
  UploadResult,
} from '../types.js';
import { classifyAbsError } from './abs-errors.js';
import { assertReadable, PROBE_BODY, probeKey } from './provider-common.js';

export type AbsDestinationOptions = {
  /** Account key (from StorageSecrets.absAccountKey) — also lets presign make a service SAS. */
  readonly accountKey?: string;
  /** A token credential (client secret or federated, built by another engineer); presign then uses a user delegation key. */
  readonly credential?: TokenCredential;
  /** Block size; default 8 MiB (at most 4000 MiB). */
  readonly blockSizeBytes?: number;
  /** Blocks in flight; default 4. */
  readonly concurrency?: number;
};

const DEFAULT_BLOCK = 8 * 1024 * 1024;
const MAX_BLOCK = 4000 * 1024 * 1024;
/** User delegation keys (and so their SAS) live at most seven days. */
const MAX_SAS_TTL_SECONDS = 7 * 24 * 3600;
/** SAS start time set back for clock skew between us and the service. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
/** A bound on one check, so a black-holed endpoint cannot hang it. */
const CHECK_TIMEOUT_MS = 30_000;
/**
 * The SAS format signed. Pinned to a GA version that Azure and Azurite both verify: the
 * SDK's newest (2026-04-06) adds string-to-sign fields the emulator does not know yet.
 */
const SAS_VERSION = '2025-11-05';

export function createAbsDestination(
  config: StorageConfig,
  options: AbsDestinationOptions,
): StorageDestination {
  if (config.storageType !== 'abs') throw new TypeError('config.storageType must be "abs"');
  if (!config.bucket) throw new TypeError('config.bucket must name an Azure container');
  const accountName = config.abs?.accountName;
  if (!accountName) throw new TypeError('config.abs.accountName is required');
  const { accountKey, credential } = options;
  if (!accountKey && !credential) {
    throw new TapedeckError(
      'STORAGE_CONFIG_INVALID',
      `abs storage "${config.name}": an account key or a token credential is required (no ambient credentials are used)`,
    );
  }
  const blockSize = options.blockSizeBytes ?? DEFAULT_BLOCK;
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > MAX_BLOCK) {
    throw new RangeError('options.blockSizeBytes must be an integer from 1 to 4000 MiB');
  }
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new RangeError('options.concurrency must be an integer from 1 to 64');
  }
  const containerName = config.bucket;
  const endpoint = (
    config.abs?.endpointUrl ?? `https://${accountName}.blob.core.windows.net`
  ).replace(/\/+$/, '');
  const pipelineOptions: StoragePipelineOptions = {
    retryOptions: {
      retryPolicyType: StorageRetryPolicyType.EXPONENTIAL,
      maxTries: 3,
      retryDelayInMs: 200,
      maxRetryDelayInMs: 1000,
    },
  };
  const sharedKey = accountKey
    ? new StorageSharedKeyCredential(accountName, accountKey)
    : undefined;
  const service = new BlobServiceClient(endpoint, sharedKey ?? credential, pipelineOptions);
  const container = service.getContainerClient(containerName);
  let closed = false;
  const fail = (error: unknown, action: string): TapedeckError =>
    classifyAbsError(error, containerName, action);
  const ensureOpen = (): void => {
    if (closed)
      throw new TapedeckError(
        'INTERNAL',
        `abs container "${containerName}": the destination is closed`,
      );
  };

  async function check(input: CheckInput): Promise<void> {
    ensureOpen();
    const timeout = AbortSignal.timeout(CHECK_TIMEOUT_MS);
    const abortSignal = input.signal ? AbortSignal.any([input.signal, timeout]) : timeout;
    const checkFailure = (error: unknown, action: string): TapedeckError =>
      timeout.aborted && !input.signal?.aborted
        ? new TapedeckError(
            'DESTINATION_UNREACHABLE',
            `${action} on abs container "${containerName}": no answer within ${CHECK_TIMEOUT_MS / 1000} s`,
            { cause: error },
          )
        : fail(error, action);
    if (input.accessMode === 'read_write') {
      try {
        await container.getProperties({ abortSignal });
      } catch (error) {
        throw checkFailure(error, 'check');
      }
      return;
    }
    const prefixes = input.prefixes.length === 0 ? [''] : [...new Set(input.prefixes)];
    for (const prefix of prefixes) {
      const blob = container.getBlockBlobClient(probeKey(prefix));
      try {
        await blob.upload(PROBE_BODY, PROBE_BODY.length, {
          abortSignal,
          blobHTTPHeaders: { blobContentType: 'text/plain' },
        });
      } catch (error) {
        throw checkFailure(error, `write probe under "${prefix}"`);
      }
      try {
        await blob.deleteIfExists({ abortSignal });
      } catch {
        // write_only credentials may not delete; the probe stays.
      }
    }
  }

  async function upload(input: UploadInput): Promise<UploadResult> {
    ensureOpen();
    await assertReadable(input.file, input.key);
    const blob = container.getBlockBlobClient(input.key);
    let sentBytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        sentBytes += chunk.length;
        callback(null, chunk);
      },
    });
    const source = createReadStream(input.file);
    source.on('error', (error) => counter.destroy(error));
    source.pipe(counter);
    const onProgress = input.onProgress;
    let etag: string | undefined;
    try {
      const response = await blob.uploadStream(counter, blockSize, concurrency, {
        blobHTTPHeaders: { blobContentType: input.contentType },
        ...(input.sha256 === undefined ? {} : { metadata: { sha256: input.sha256 } }),
        ...(input.signal ? { abortSignal: input.signal } : {}),
        ...(onProgress
          ? { onProgress: (e: { loadedBytes: number }) => onProgress(e.loadedBytes) }
          : {}),
      });
      etag = response.etag;
      const stored = await blob.getProperties(input.signal ? { abortSignal: input.signal } : {});
      if (stored.contentLength !== sentBytes) {
        throw new TapedeckError(
          'DESTINATION_INTEGRITY_FAILED',
          `upload of "${input.key}" on abs container "${containerName}": stored blob has ${stored.contentLength ?? '?'} bytes, ${sentBytes} were sent`,
        );
      }
    } catch (error) {
      source.destroy();
      throw fail(error, `upload of "${input.key}"`);
    }
    return { key: input.key, uri: uri(input.key), ...(etag === undefined ? {} : { etag }) };
  }

  async function presign(key: string, ttlSeconds: number): Promise<PresignedUrl> {
    ensureOpen();
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_SAS_TTL_SECONDS) {
      throw new RangeError(`ttlSeconds must be an integer from 1 to ${MAX_SAS_TTL_SECONDS}`);
    }
    const nowMs = Date.now();
    const startsOn = new Date(nowMs - CLOCK_SKEW_MS);
    const expiresOn = new Date(nowMs + ttlSeconds * 1000);
    const blob = container.getBlobClient(key);
    const permissions = BlobSASPermissions.parse('r');
    const expiresAt = Math.floor(expiresOn.getTime() / 1000);
    try {
      if (sharedKey) {
        const url = await blob.generateSasUrl({
          permissions,
          startsOn,
          expiresOn,
          version: SAS_VERSION,
        });
        return { url, expiresAt };
      }
      const delegationKey = await service.getUserDelegationKey(startsOn, expiresOn);
      const sas = generateBlobSASQueryParameters(
        { containerName, blobName: key, permissions, startsOn, expiresOn, version: SAS_VERSION },
        delegationKey,
        accountName!,
      ).toString();
      return { url: `${blob.url}?${sas}`, expiresAt };
    } catch (error) {
      throw fail(error, `signing a SAS for "${key}"`);
    }
  }

  async function remove(key: string): Promise<void> {
    ensureOpen();
    try {
      await container.getBlobClient(key).deleteIfExists({ deleteSnapshots: 'include' });
    } catch (error) {
      throw fail(error, `delete of "${key}"`);
    }
  }

  function uri(key: string): string {
    return container.getBlobClient(key).url;
  }

  return {
    storageType: 'abs',
    bucket: containerName,
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
