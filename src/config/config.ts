/**
 * The service's configuration: environment variables, optionally a JSON config file with
 * the same keys in camelCase (`TAPEDECK_RTP_PORT_MIN` → `rtpPortMin`); the environment
 * wins. Pure: the caller reads the file (see load-config-node.ts).
 */
import { ConfigError } from './config-error.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The validated configuration. Defaults are stated per field. */
export type TapedeckConfig = {
  /** HTTP bind address. `TAPEDECK_HOST`, default `127.0.0.1`. */
  readonly host: string;
  /** HTTP port, 0 = any free port. `TAPEDECK_PORT`, default 8080. */
  readonly port: number;
  /** Where the SQLite file, the spool and the API secret live. `TAPEDECK_DATA_DIR`, default `./data`. */
  readonly dataDir: string;
  /** HS256 key for every token. `TAPEDECK_API_SECRET`; when absent one is generated on first start. */
  readonly apiSecret?: string;
  /** pino level. `TAPEDECK_LOG_LEVEL`, default `info`. */
  readonly logLevel: LogLevel;
  /** UDP bind address for RTP ingest. `TAPEDECK_RTP_HOST`, default `127.0.0.1`. */
  readonly rtpHost: string;
  /** First UDP port for RTP ingest. `TAPEDECK_RTP_PORT_MIN`, default 40000. */
  readonly rtpPortMin: number;
  /** Last UDP port for RTP ingest (inclusive). `TAPEDECK_RTP_PORT_MAX`, default 49999. */
  readonly rtpPortMax: number;
  /**
   * Length of a recording part in seconds: each part becomes its own archive, announced
   * on its own. `TAPEDECK_PART_SECONDS`, 1..86400, default 7200 (2 hours).
   */
  readonly partSeconds: number;
  /** SO_RCVBUF asked for on each RTP/RTCP socket (the kernel caps it at net.core.rmem_max). `TAPEDECK_UDP_RECEIVE_BUFFER_BYTES`, default 4194304. */
  readonly udpReceiveBufferBytes: number;
  /** The service's public origin: OIDC issuer and base of download URLs. `TAPEDECK_PUBLIC_URL`, default `http://<host>:<port>`. */
  readonly publicUrl?: string;
  /** Managed storage deletes recordings after this many days. `TAPEDECK_RETENTION_DAYS`, 1..3650, default 14. */
  readonly retentionDays: number;
  /** Deliveries to a customer's bucket are retried for this long. `TAPEDECK_DELIVERY_WINDOW_SECONDS`, default 86400 (24 h). */
  readonly deliveryWindowSeconds: number;
  /** Cap of the delivery backoff. `TAPEDECK_DELIVERY_MAX_BACKOFF_SECONDS`, default 300. */
  readonly deliveryMaxBackoffSeconds: number;
  /** An undeliverable archive stays in managed storage this long for `retry_delivery`. `TAPEDECK_RECOVERY_DAYS`, default 30. */
  readonly recoveryDays: number;
  /** When set, the managed default is this S3-compatible bucket instead of local disk. `TAPEDECK_MANAGED_S3_BUCKET`. */
  readonly managedS3Bucket?: string;
  /** `TAPEDECK_MANAGED_S3_REGION`, default `us-east-1`. */
  readonly managedS3Region: string;
  /** `TAPEDECK_MANAGED_S3_ENDPOINT` (S3-compatible servers; path-style addressing is then used). */
  readonly managedS3Endpoint?: string;
  /** `TAPEDECK_MANAGED_S3_ACCESS_KEY_ID`; absent: the default AWS credential chain. */
  readonly managedS3AccessKeyId?: string;
  /** `TAPEDECK_MANAGED_S3_SECRET_ACCESS_KEY` (never echoed). */
  readonly managedS3SecretAccessKey?: string;
  /** Token-exchange endpoints (defaults: each cloud's own). `TAPEDECK_AWS_STS_ENDPOINT`. */
  readonly awsStsEndpoint?: string;
  /** `TAPEDECK_GCP_STS_ENDPOINT`. */
  readonly gcpStsEndpoint?: string;
  /** `TAPEDECK_GCP_IAM_CREDENTIALS_ENDPOINT`. */
  readonly gcpIamCredentialsEndpoint?: string;
  /** `TAPEDECK_AZURE_AUTHORITY_HOST`. */
  readonly azureAuthorityHost?: string;
};

export type LoadConfigOptions = {
  /** The environment (usually `process.env`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The parsed config file (a JSON object), if any. */
  readonly file?: unknown;
};

/** The shortest `TAPEDECK_API_SECRET` accepted (characters; the generated one has 43). */
export const MIN_API_SECRET_LENGTH = 32;

const KEYS = {
  host: 'TAPEDECK_HOST',
  port: 'TAPEDECK_PORT',
  dataDir: 'TAPEDECK_DATA_DIR',
  apiSecret: 'TAPEDECK_API_SECRET',
  logLevel: 'TAPEDECK_LOG_LEVEL',
  rtpHost: 'TAPEDECK_RTP_HOST',
  rtpPortMin: 'TAPEDECK_RTP_PORT_MIN',
  rtpPortMax: 'TAPEDECK_RTP_PORT_MAX',
  partSeconds: 'TAPEDECK_PART_SECONDS',
  udpReceiveBufferBytes: 'TAPEDECK_UDP_RECEIVE_BUFFER_BYTES',
  publicUrl: 'TAPEDECK_PUBLIC_URL',
  retentionDays: 'TAPEDECK_RETENTION_DAYS',
  deliveryWindowSeconds: 'TAPEDECK_DELIVERY_WINDOW_SECONDS',
  deliveryMaxBackoffSeconds: 'TAPEDECK_DELIVERY_MAX_BACKOFF_SECONDS',
  recoveryDays: 'TAPEDECK_RECOVERY_DAYS',
  managedS3Bucket: 'TAPEDECK_MANAGED_S3_BUCKET',
  managedS3Region: 'TAPEDECK_MANAGED_S3_REGION',
  managedS3Endpoint: 'TAPEDECK_MANAGED_S3_ENDPOINT',
  managedS3AccessKeyId: 'TAPEDECK_MANAGED_S3_ACCESS_KEY_ID',
  managedS3SecretAccessKey: 'TAPEDECK_MANAGED_S3_SECRET_ACCESS_KEY',
  awsStsEndpoint: 'TAPEDECK_AWS_STS_ENDPOINT',
  gcpStsEndpoint: 'TAPEDECK_GCP_STS_ENDPOINT',
  gcpIamCredentialsEndpoint: 'TAPEDECK_GCP_IAM_CREDENTIALS_ENDPOINT',
  azureAuthorityHost: 'TAPEDECK_AZURE_AUTHORITY_HOST',
} as const satisfies Record<keyof TapedeckConfig, string>;

type Key = keyof typeof KEYS;
type Raw = { readonly value: string | number | boolean | null | object; readonly name: string };

/**
 * Validates the environment and config file into a new config object. Every bad setting
 * is collected; if there is any, throws one `ConfigError` (`INVALID_ARGUMENT`) listing
 * them, each naming the setting and the value it got (never the API secret's value).
 */
export function loadConfig(options: LoadConfigOptions): TapedeckConfig {
  const problems: string[] = [];
  const file = fileObject(options.file, problems);
  const raw = (key: Key): Raw | undefined => {
    const envValue = options.env[KEYS[key]];
    if (envValue !== undefined && envValue !== '') return { value: envValue, name: KEYS[key] };
    const fileValue = file[key];
    if (fileValue !== undefined)
      return { value: fileValue as Raw['value'], name: `${key} (config file)` };
    return undefined;
  };

  const host = text(raw('host'), '127.0.0.1', problems);
  const port = integer(raw('port'), 8080, 0, 65535, problems);
  const dataDir = text(raw('dataDir'), './data', problems);
  const logLevel = oneOf(raw('logLevel'), 'info', LOG_LEVELS, problems);
  const rtpHost = text(raw('rtpHost'), '127.0.0.1', problems);
  const rtpPortMin = integer(raw('rtpPortMin'), 40000, 1, 65535, problems);
  const rtpPortMax = integer(raw('rtpPortMax'), 49999, 1, 65535, problems);
  if (rtpPortMin !== undefined && rtpPortMax !== undefined && rtpPortMin > rtpPortMax) {
    problems.push(
      `TAPEDECK_RTP_PORT_MIN (${rtpPortMin}) must not exceed TAPEDECK_RTP_PORT_MAX (${rtpPortMax})`,
    );
  } else if (
    rtpPortMin !== undefined &&
    rtpPortMax !== undefined &&
    rtpPortMin + (rtpPortMin % 2) + 1 > rtpPortMax
  ) {
    problems.push(
      `TAPEDECK_RTP_PORT_MIN..TAPEDECK_RTP_PORT_MAX (${rtpPortMin}..${rtpPortMax}) must hold an even RTP port and the odd RTCP port after it`,
    );
  }
  const partSeconds = integer(raw('partSeconds'), 7200, 1, 86400, problems);
  const apiSecret = secret(raw('apiSecret'), problems);
  const udpReceiveBufferBytes = integer(
    raw('udpReceiveBufferBytes'),
    4 * 1024 * 1024,
    65536,
    1 << 30,
    problems,
  );
  const publicUrl = optionalUrl(raw('publicUrl'), problems);
  const retentionDays = integer(raw('retentionDays'), 14, 1, 3650, problems);
  const deliveryWindowSeconds = integer(
    raw('deliveryWindowSeconds'),
    86400,
    1,
    30 * 86400,
    problems,
  );
  const deliveryMaxBackoffSeconds = integer(
    raw('deliveryMaxBackoffSeconds'),
    300,
    1,
    86400,
    problems,
  );
  const recoveryDays = integer(raw('recoveryDays'), 30, 1, 3650, problems);
  const managedS3Bucket = optionalText(raw('managedS3Bucket'), problems);
  const managedS3Region = text(raw('managedS3Region'), 'us-east-1', problems);
  const managedS3Endpoint = optionalUrl(raw('managedS3Endpoint'), problems);
  const managedS3AccessKeyId = optionalText(raw('managedS3AccessKeyId'), problems);
  const managedS3SecretAccessKey = raw('managedS3SecretAccessKey');
  if (managedS3SecretAccessKey !== undefined && typeof managedS3SecretAccessKey.value !== 'string')
    problems.push(`${managedS3SecretAccessKey.name} must be a string`);
  if ((managedS3AccessKeyId === undefined) !== (managedS3SecretAccessKey === undefined))
    problems.push(
      'TAPEDECK_MANAGED_S3_ACCESS_KEY_ID and TAPEDECK_MANAGED_S3_SECRET_ACCESS_KEY must be set together',
    );
  const endpoints = {
    awsStsEndpoint: optionalUrl(raw('awsStsEndpoint'), problems),
    gcpStsEndpoint: optionalUrl(raw('gcpStsEndpoint'), problems),
    gcpIamCredentialsEndpoint: optionalUrl(raw('gcpIamCredentialsEndpoint'), problems),
    azureAuthorityHost: optionalUrl(raw('azureAuthorityHost'), problems),
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    host: host!,
    port: port!,
    dataDir: dataDir!,
    ...(apiSecret !== undefined ? { apiSecret } : {}),
    logLevel: logLevel!,
    rtpHost: rtpHost!,
    rtpPortMin: rtpPortMin!,
    rtpPortMax: rtpPortMax!,
    partSeconds: partSeconds!,
    udpReceiveBufferBytes: udpReceiveBufferBytes!,
    ...(publicUrl !== undefined ? { publicUrl } : {}),
    retentionDays: retentionDays!,
    deliveryWindowSeconds: deliveryWindowSeconds!,
    deliveryMaxBackoffSeconds: deliveryMaxBackoffSeconds!,
    recoveryDays: recoveryDays!,
    ...(managedS3Bucket !== undefined ? { managedS3Bucket } : {}),
    managedS3Region: managedS3Region!,
    ...(managedS3Endpoint !== undefined ? { managedS3Endpoint } : {}),
    ...(managedS3AccessKeyId !== undefined ? { managedS3AccessKeyId } : {}),
    ...(typeof managedS3SecretAccessKey?.value === 'string'
      ? { managedS3SecretAccessKey: managedS3SecretAccessKey.value }
      : {}),
    ...Object.fromEntries(Object.entries(endpoints).filter(([, v]) => v !== undefined)),
  };
}

function optionalText(raw: Raw | undefined, problems: string[]): string | undefined {
  return raw === undefined ? undefined : text(raw, '', problems);
}

/** An http(s) URL without a trailing slash. */
function optionalUrl(raw: Raw | undefined, problems: string[]): string | undefined {
  if (raw === undefined) return undefined;
  const value = typeof raw.value === 'string' ? raw.value : '';
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    problems.push(`${raw.name} must be an http(s) URL, got ${shown(raw.value)}`);
    return undefined;
  }
  return value.replace(/\/+$/, '');
}

function fileObject(file: unknown, problems: string[]): Readonly<Record<string, unknown>> {
  if (file === undefined) return {};
  if (typeof file !== 'object' || file === null || Array.isArray(file)) {
    problems.push('the config file must hold a JSON object');
    return {};
  }
  const known = new Set<string>(Object.keys(KEYS));
  for (const key of Object.keys(file)) {
    if (!known.has(key))
      problems.push(
        `the config file has an unknown key "${key}" (known: ${[...known].join(', ')})`,
      );
  }
  return file as Record<string, unknown>;
}

function shown(value: Raw['value']): string {
  return JSON.stringify(value) ?? 'undefined';
}

function text(raw: Raw | undefined, fallback: string, problems: string[]): string | undefined {
  if (raw === undefined) return fallback;
  if (typeof raw.value !== 'string' || raw.value.trim() === '' || /\s/.test(raw.value)) {
    problems.push(`${raw.name} must be a non-empty string without spaces, got ${shown(raw.value)}`);
    return undefined;
  }
  return raw.value;
}

function integer(
  raw: Raw | undefined,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number | undefined {
  if (raw === undefined) return fallback;
  const n =
    typeof raw.value === 'number'
      ? raw.value
      : typeof raw.value === 'string' && /^\d+$/.test(raw.value)
        ? Number(raw.value)
        : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`${raw.name} must be an integer in ${min}..${max}, got ${shown(raw.value)}`);
    return undefined;
  }
  return n;
}

function oneOf<T extends string>(
  raw: Raw | undefined,
  fallback: T,
  allowed: readonly T[],
  problems: string[],
): T | undefined {
  if (raw === undefined) return fallback;
  if (typeof raw.value === 'string' && (allowed as readonly string[]).includes(raw.value))
    return raw.value as T;
  problems.push(`${raw.name} must be one of ${allowed.join(', ')}, got ${shown(raw.value)}`);
  return undefined;
}

function secret(raw: Raw | undefined, problems: string[]): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw.value !== 'string') {
    problems.push(`${raw.name} must be a string`);
    return undefined;
  }
  if (raw.value.length < MIN_API_SECRET_LENGTH || /\s/.test(raw.value)) {
    // The value itself is never echoed.
    problems.push(
      `${raw.name} must be at least ${MIN_API_SECRET_LENGTH} characters without spaces (got ${raw.value.length})`,
    );
    return undefined;
  }
  return raw.value;
}
