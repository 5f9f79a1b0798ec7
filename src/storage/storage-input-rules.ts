/**
 * Field rules for the storage API body (used by storage-input.ts). Each check returns the
 * reason a value is refused, or undefined. Reasons never quote a secret. Pure.
 *
 * ```text
 * s3 bucket   3–63  [a-z0-9.-]   starts/ends alnum, no "..", ".-", "-.", not an IPv4
 *                                address, no "xn--" / "sthree-" start, no "-s3alias" end
 * gcs bucket  3–63 (≤ 222 with dots, each dotted part ≤ 63)  [a-z0-9._-]
 *                                starts/ends alnum, not an IPv4 address, no "goog" start,
 *                                no "google" inside
 * abs container 3–63 [a-z0-9-]   starts/ends alnum, no "--"
 * path, prefix  [0-9A-Za-z./_-], ≤ 512, leading/trailing "/" stripped, no "//", no "." or
 *               ".." segment
 * endpoint      https://…, or http:// on 127.0.0.1, [::1], localhost; no user:pass@, no
 *               query or fragment
 * ```
 */

export const MAX_KEY_PATH_LENGTH = 512;

export const FIELD_PATTERNS = {
  name: {
    re: /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
    reason: 'must be 1–64 letters, digits, "_" or "-", starting with a letter or digit',
  },
  region: {
    re: /^[a-z0-9]+(-[a-z0-9]+)*$/,
    reason: 'must be a region name like us-east-1 (lowercase letters, digits, "-")',
  },
  roleArn: {
    re: /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
    reason: 'must be an IAM role ARN (arn:aws:iam::123456789012:role/name)',
  },
  externalId: {
    re: /^[\w+=,.@:/-]{2,1224}$/,
    reason: 'must be 2–1224 characters of letters, digits and +=,.@:/-_',
  },
  kmsKeyId: {
    re: /^[A-Za-z0-9:/_+=.@-]{1,2048}$/,
    reason: 'must be a KMS key id, key ARN, alias name or alias ARN',
  },
  gcpProjectId: {
    re: /^([a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
    reason: 'must be a project id (6–30 lowercase letters, digits, "-", starting with a letter)',
  },
  audience: {
    re: /^\/\/iam\.googleapis\.com\/[\x21-\x7e]{1,1000}$/,
    reason: 'must start with //iam.googleapis.com/ (the workload identity pool provider name)',
  },
  email: {
    re: /^[^@\s]{1,128}@[^@\s]+\.[^@\s]+$/,
    reason: 'must be a service account email',
  },
  accountName: {
    re: /^[a-z0-9]{3,24}$/,
    reason: 'must be 3–24 lowercase letters and digits',
  },
  guid: {
    re: /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
    reason: 'must be a GUID (00000000-0000-0000-0000-000000000000)',
  },
  tenant: {
    re: /^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+)$/,
    reason: 'must be a tenant GUID or domain (contoso.onmicrosoft.com)',
  },
} as const satisfies Record<string, { re: RegExp; reason: string }>;

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export function checkBucket(type: 's3' | 'gcs' | 'abs', bucket: string): string | undefined {
  if (type === 'abs') {
    if (bucket.length < 3 || bucket.length > 63) return 'must be 3–63 characters';
    if (!/^[a-z0-9-]+$/.test(bucket)) return 'may contain only lowercase letters, digits and "-"';
    if (!/^[a-z0-9].*[a-z0-9]$/.test(bucket)) return 'must start and end with a letter or digit';
    if (bucket.includes('--')) return 'must not contain "--"';
    return undefined;
  }
  if (type === 's3') {
    if (bucket.length < 3 || bucket.length > 63) return 'must be 3–63 characters';
    if (!/^[a-z0-9.-]+$/.test(bucket))
      return 'may contain only lowercase letters, digits, "." and "-"';
  } else {
    const long = bucket.includes('.') ? 222 : 63;
    if (bucket.length < 3 || bucket.length > long)
      return 'must be 3–63 characters (up to 222 with dots)';
    if (!/^[a-z0-9._-]+$/.test(bucket))
      return 'may contain only lowercase letters, digits, ".", "_" and "-"';
    if (bucket.split('.').some((part) => part.length > 63))
      return 'each dot-separated part must be at most 63 characters';
  }
  if (!/^[a-z0-9].*[a-z0-9]$/.test(bucket)) return 'must start and end with a letter or digit';
  if (bucket.includes('..')) return 'must not contain ".."';
  if (IPV4.test(bucket)) return 'must not be an IP address';
  if (type === 's3') {
    if (bucket.includes('.-') || bucket.includes('-.')) return 'must not contain ".-" or "-."';
    if (bucket.startsWith('xn--') || bucket.startsWith('sthree-'))
      return 'must not start with "xn--" or "sthree-"';
    if (bucket.endsWith('-s3alias') || bucket.endsWith('--ol-s3'))
      return 'must not end with "-s3alias" or "--ol-s3"';
  } else {
    if (bucket.startsWith('goog')) return 'must not start with "goog"';
    if (bucket.includes('google')) return 'must not contain "google"';
  }
  return undefined;
}

/** Trims, strips leading/trailing "/" and checks a base path or category prefix. */
export function normalizeKeyPath(raw: string): string | { reason: string } {
  const path = raw.trim().replace(/^\/+/, '').replace(/\/+$/, '');
  if (path.length > MAX_KEY_PATH_LENGTH)
    return { reason: `must be at most ${MAX_KEY_PATH_LENGTH} characters` };
  const bad = /[^0-9A-Za-z./_-]/u.exec(path);
  if (bad !== null)
    return {
      reason: `character ${JSON.stringify(bad[0])} is not allowed (allowed: 0-9 A-Z a-z . / _ -)`,
    };
  if (path.includes('//')) return { reason: 'must not contain "//"' };
  if (path.split('/').some((s) => s === '.' || s === '..'))
    return { reason: 'must not contain a "." or ".." segment' };
  return path;
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]', 'localhost']);

export function checkEndpointUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) URL';
  if (url.username !== '' || url.password !== '') return 'must not contain credentials';
  if (url.search !== '' || url.hash !== '') return 'must not have a query or fragment';
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname))
    return 'plain http is allowed only for loopback hosts (127.0.0.1, ::1, localhost); use https';
  return undefined;
}

/** Access keys, client secrets: printable, no whitespace. */
export function checkSecretText(value: string): string | undefined {
  if (value.length > 4096) return 'must be at most 4096 characters';
  if (!/^[\x21-\x7e]+$/.test(value)) return 'must be printable ASCII without whitespace';
  return undefined;
}

export function checkAbsAccountKey(value: string): string | undefined {
  if (value.length > 4096 || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(value))
    return 'must be the base64 storage account key';
  return undefined;
}

/** The service-account key JSON; never echoes any of it (not even JSON.parse's message). */
export function checkGcsCredentials(value: string): string | undefined {
  if (value.length > 65_536) return 'must be at most 65536 characters';
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return 'must be the service-account key JSON (it does not parse as JSON)';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return 'must be a JSON object';
  const key = parsed as Record<string, unknown>;
  if (key['type'] !== 'service_account')
    return 'must be a service-account key (type "service_account")';
  if (typeof key['client_email'] !== 'string' || key['client_email'] === '')
    return 'must have a client_email';
  if (typeof key['private_key'] !== 'string' || key['private_key'] === '')
    return 'must have a private_key';
  return undefined;
}
