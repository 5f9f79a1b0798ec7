/**
 * How a recording file is described to users (events, `GET /v1/recordings/{id}/files`):
 * where it was written (`storage_name`, `storage_provider`, `storage_uri`) and, when the
 * storage allows reading, a short-lived download URL with its expiry.
 *
 * ```text
 * managed local      → tapedeck's own HMAC-signed /v1/files URL
 * read_write bucket  → the provider's presigned URL (S3 presign, GCS v4, Azure SAS)
 * write_only bucket  → no URL (reading was never granted)
 * ```
 */
import type { RecordingFile } from '../db/index.js';
import type { FileUrlSigner } from '../calls/signed-url.js';
import type { FileAccess } from '../storage/storage-service.js';

/** Lifetime of download URLs handed out in events and by the files endpoint. */
export const FILE_URL_TTL_SECONDS = 3600;

export type FileLink = {
  readonly name: string;
  readonly part_number: number;
  readonly size: number;
  readonly sha256: string | null;
  readonly category: string | null;
  readonly content_type: string | null;
  readonly storage_name: string | null;
  readonly storage_provider: string | null;
  readonly storage_uri: string | null;
  readonly url?: string;
  /** Unix seconds. */
  readonly expires_at?: number;
};

/** The file's own name: the last segment of its key. */
export function fileName(file: RecordingFile): string {
  return file.path.slice(file.path.lastIndexOf('/') + 1);
}

export function describeFile(file: RecordingFile): FileLink {
  return {
    name: fileName(file),
    part_number: file.partNumber,
    size: file.sizeBytes,
    sha256: file.sha256,
    category: file.category,
    content_type: file.contentType,
    storage_name: file.storageName,
    storage_provider: file.storageProvider,
    storage_uri: file.storageUri,
  };
}

/** `describeFile` plus a download URL when `access` allows reading. */
export async function linkFile(
  file: RecordingFile,
  access: FileAccess,
  local: { readonly signer: FileUrlSigner; readonly baseUrl: () => string },
): Promise<FileLink> {
  const base = describeFile(file);
  if (access.kind === 'local') {
    const signed = local.signer.sign(file.recordingId, fileName(file), {
      ttlSeconds: FILE_URL_TTL_SECONDS,
    });
    return { ...base, url: `${local.baseUrl()}${signed.path}`, expires_at: signed.expiresAt };
  }
  if (access.accessMode === 'write_only') return base;
  const signed = await access.destination.presign(file.path, FILE_URL_TTL_SECONDS);
  return { ...base, url: signed.url, expires_at: signed.expiresAt };
}
