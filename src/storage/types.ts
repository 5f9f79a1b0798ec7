/**
 * The storage contract: where a recording's files go and how they are written, checked,
 * fetched and (for managed storage only) deleted.
 *
 * ```text
 * API body ──parseStorageInput──▶ StorageConfig (public) + StorageSecrets (encrypted at rest)
 *                                       │
 *                        createDestination(config, secrets, identity)
 *                                       ▼
 *                        StorageDestination: check · upload · presign · delete · uri
 *                                       │
 *              local (managed, embedded) · s3 (and S3-compatible) · gcs · abs
 * ```
 *
 * Every failure a destination reports is a `TapedeckError` with one of the `DESTINATION_*`
 * codes (see errors.ts): `DESTINATION_AUTH_FAILED`, `DESTINATION_NOT_FOUND`,
 * `DESTINATION_REGION_MISMATCH` are the destination's fault and are not retried in a storm;
 * `DESTINATION_UNREACHABLE`, `DESTINATION_UNAVAILABLE`, `DESTINATION_INTEGRITY_FAILED` are
 * transient and retried. Messages never contain a secret.
 */

export type StorageType = 'local' | 's3' | 'gcs' | 'abs';
export type AccessMode = 'read_write' | 'write_only';
export type FileCategory = 'audio' | 'video' | 'transcript' | 'metadata';
export const FILE_CATEGORIES: readonly FileCategory[] = [
  'audio',
  'video',
  'transcript',
  'metadata',
];

/** The name of the built-in managed default. */
export const MANAGED_STORAGE_NAME = 'tapedeck-managed';

export type S3Settings = {
  readonly region: string;
  /** S3-compatible endpoint (`https://…`, or `http://` on loopback). */
  readonly endpointUrl?: string;
  readonly forcePathStyle?: boolean;
  /** With `externalId`: AssumeRole from the server's own identity; without: AssumeRoleWithWebIdentity with tapedeck's OIDC token. */
  readonly roleArn?: string;
  readonly externalId?: string;
  readonly sseKmsKeyId?: string;
};

/** GCP workload identity federation (no service-account key). */
export type GcsFederation = {
  /** `//iam.googleapis.com/projects/<n>/locations/global/workloadIdentityPools/<pool>/providers/<provider>` */
  readonly audience: string;
  /** When set, the federated token is exchanged for this service account's token. */
  readonly serviceAccountEmail?: string;
};

export type GcsSettings = {
  readonly projectId?: string;
  /** JSON API endpoint; default `https://storage.googleapis.com` (tests: a loopback double). */
  readonly endpointUrl?: string;
  readonly federation?: GcsFederation;
};

/** Azure Entra federated credential: tapedeck's token is the client assertion. */
export type AbsFederation = {
  readonly tenantId: string;
  readonly clientId: string;
};

export type AbsSettings = {
  readonly accountName: string;
  /** Blob endpoint; default `https://<account>.blob.core.windows.net`. */
  readonly endpointUrl?: string;
  /** With `StorageSecrets.absClientSecret`: a client-secret credential. */
  readonly clientId?: string;
  readonly tenantId?: string;
  readonly federation?: AbsFederation;
};

/** A storage configuration as stored and shown (never holds a secret). */
export type StorageConfig = {
  readonly name: string;
  readonly storageType: StorageType;
  /** Bucket (s3, gcs), container (abs), or the root directory (local). */
  readonly bucket: string;
  /** Base prefix without leading or trailing slash; '' for none. */
  readonly path: string;
  readonly accessMode: AccessMode;
  /** A category's prefix replaces `path` for that category's files. */
  readonly prefixes: Readonly<Partial<Record<FileCategory, string>>>;
  readonly keyTemplate?: string;
  readonly s3?: S3Settings;
  readonly gcs?: GcsSettings;
  readonly abs?: AbsSettings;
};

/** The secret half of a configuration; encrypted at rest, never returned, never logged. */
export type StorageSecrets = {
  readonly s3AccessKeyId?: string;
  readonly s3SecretAccessKey?: string;
  /** The service-account JSON, as text. */
  readonly gcsCredentials?: string;
  readonly absAccountKey?: string;
  readonly absClientSecret?: string;
};

export type UploadInput = {
  readonly key: string;
  /** Local file to send (streamed, never read whole). */
  readonly file: string;
  readonly sizeBytes: number;
  readonly contentType: string;
  /** Lowercase hex SHA-256 of the file, when known (stored as metadata; checked where the provider allows). */
  readonly sha256?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (bytesSent: number) => void;
};

export type UploadResult = {
  readonly key: string;
  /** Fully qualified: `s3://bucket/key`, `gs://bucket/key`, `https://acct.blob.core.windows.net/container/key`, `file:///…`. */
  readonly uri: string;
  readonly etag?: string;
};

export type PresignedUrl = {
  readonly url: string;
  /** Unix seconds. */
  readonly expiresAt: number;
};

export type CheckInput = {
  readonly accessMode: AccessMode;
  /** Distinct prefixes to probe in write_only mode ('' = bucket root). */
  readonly prefixes: readonly string[];
  readonly signal?: AbortSignal;
};

/** One configured destination, ready to use. */
export type StorageDestination = {
  readonly storageType: StorageType;
  readonly bucket: string;
  /**
   * read_write: a live bucket check (HeadBucket, bucket get, container properties).
   * write_only: writes `{prefix}/.write_probe_<random>` under each prefix (deleting it is
   * attempted and its failure ignored). Throws a `DESTINATION_*` TapedeckError.
   */
  check(input: CheckInput): Promise<void>;
  /** Streams the file to `key`; resolves once the provider confirmed the whole object. */
  upload(input: UploadInput): Promise<UploadResult>;
  /** A short-lived download URL (S3 presigned, GCS v4 signed, Azure SAS, local HMAC URL). */
  presign(key: string, ttlSeconds: number): Promise<PresignedUrl>;
  /** Removes `key` (managed retention and probes only; never called on customer files). */
  delete(key: string): Promise<void>;
  /** The fully qualified URI of `key`. */
  uri(key: string): string;
  /** Releases sockets/agents. */
  close(): Promise<void>;
};

/** Operator-level endpoints for token exchanges (overridden in tests to loopback doubles). */
export type IdentityEndpoints = {
  /** AWS STS endpoint; default the SDK's regional endpoint. */
  readonly awsStsEndpoint?: string;
  /** Google STS token endpoint; default `https://sts.googleapis.com/v1/token`. */
  readonly gcpStsEndpoint?: string;
  /** IAM credentials base; default `https://iamcredentials.googleapis.com`. */
  readonly gcpIamCredentialsEndpoint?: string;
  /** Entra authority host; default `https://login.microsoftonline.com`. */
  readonly azureAuthorityHost?: string;
};

/** Audiences tapedeck's OIDC tokens are minted for. */
export type TokenAudience = 'aws' | 'gcp' | 'azure';

/** Mints tapedeck's own short-lived OIDC tokens (subject: the workspace id). */
export type IdentityTokenSource = {
  readonly issuer: string;
  readonly subject: string;
  /** A signed JWT for `audience` (the exact `aud` string for that cloud). */
  token(audience: string): Promise<string>;
};
