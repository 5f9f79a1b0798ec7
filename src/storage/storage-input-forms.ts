/**
 * The two body forms of the storage API (nested, legacy flat) and a stored configuration,
 * each turned into one flat map of nested-form paths (`aws_s3.s3_region` → value), which
 * storage-input.ts merges and validates. The legacy mapping is documented there. Pure.
 */
import { TapedeckError } from '../errors.js';
import { FILE_CATEGORIES } from './types.js';
import type { StorageConfig, StorageSecrets } from './types.js';

export type Provider = 's3' | 'gcs' | 'abs';
export type Kind = 'string' | 'boolean' | 'secret' | 'json';
export type Field = { readonly kind: Kind; readonly provider?: Provider };

/** Every field of the nested form, by flat path. */
export const FIELDS: ReadonlyMap<string, Field> = new Map<string, Field>([
  ['name', { kind: 'string' }],
  ['storage_type', { kind: 'string' }],
  ['bucket', { kind: 'string' }],
  ['path', { kind: 'string' }],
  ['access_mode', { kind: 'string' }],
  ['key_template', { kind: 'string' }],
  ...FILE_CATEGORIES.map((c): [string, Field] => [`prefixes.${c}`, { kind: 'string' }]),
  ['aws_s3.s3_region', { kind: 'string', provider: 's3' }],
  ['aws_s3.s3_api_key', { kind: 'secret', provider: 's3' }],
  ['aws_s3.s3_secret', { kind: 'secret', provider: 's3' }],
  ['aws_s3.s3_custom_endpoint_url', { kind: 'string', provider: 's3' }],
  ['aws_s3.s3_force_path_style', { kind: 'boolean', provider: 's3' }],
  ['aws_s3.role_arn', { kind: 'string', provider: 's3' }],
  ['aws_s3.external_id', { kind: 'string', provider: 's3' }],
  ['aws_s3.sse_kms_key_id', { kind: 'string', provider: 's3' }],
  ['gcs_credentials', { kind: 'json', provider: 'gcs' }],
  ['gcs_project_id', { kind: 'string', provider: 'gcs' }],
  ['gcs_custom_endpoint_url', { kind: 'string', provider: 'gcs' }],
  ['gcs_federation.audience', { kind: 'string', provider: 'gcs' }],
  ['gcs_federation.service_account_email', { kind: 'string', provider: 'gcs' }],
  ['abs_account_name', { kind: 'string', provider: 'abs' }],
  ['abs_account_key', { kind: 'secret', provider: 'abs' }],
  ['abs_client_id', { kind: 'string', provider: 'abs' }],
  ['abs_client_secret', { kind: 'secret', provider: 'abs' }],
  ['abs_tenant_id', { kind: 'string', provider: 'abs' }],
  ['abs_custom_endpoint_url', { kind: 'string', provider: 'abs' }],
  ['abs_federation.tenant_id', { kind: 'string', provider: 'abs' }],
  ['abs_federation.client_id', { kind: 'string', provider: 'abs' }],
]);
const GROUPS: ReadonlySet<string> = new Set([
  'prefixes',
  'aws_s3',
  'gcs_federation',
  'abs_federation',
]);

/** Legacy name → nested path (a function of the provider for endpoints). */
const LEGACY: ReadonlyMap<string, string | ((p: Provider) => string)> = new Map<
  string,
  string | ((p: Provider) => string)
>([
  ['name', 'name'],
  ['bucket', 'bucket'],
  ['container', 'bucket'],
  ['path', 'path'],
  ['prefix', 'path'],
  ['access_mode', 'access_mode'],
  ['key_template', 'key_template'],
  ['region', 'aws_s3.s3_region'],
  ['access_key_id', 'aws_s3.s3_api_key'],
  ['api_key', 'aws_s3.s3_api_key'],
  ['secret_access_key', 'aws_s3.s3_secret'],
  ['secret', 'aws_s3.s3_secret'],
  ['endpoint', endpointPath],
  ['endpoint_url', endpointPath],
  ['force_path_style', 'aws_s3.s3_force_path_style'],
  ['role_arn', 'aws_s3.role_arn'],
  ['external_id', 'aws_s3.external_id'],
  ['sse_kms_key_id', 'aws_s3.sse_kms_key_id'],
  ['credentials', 'gcs_credentials'],
  ['project_id', 'gcs_project_id'],
  ['account_name', 'abs_account_name'],
  ['account_key', 'abs_account_key'],
  ['client_id', 'abs_client_id'],
  ['client_secret', 'abs_client_secret'],
  ['tenant_id', 'abs_tenant_id'],
]);

function endpointPath(p: Provider): string {
  return p === 's3' ? 'aws_s3.s3_custom_endpoint_url' : `${p}_custom_endpoint_url`;
}

const MAX_LISTED_PROBLEMS = 20;

/** Collects one reason per field and throws them all in one line. */
export class Problems {
  readonly #reasons = new Map<string, string>();
  #display: (path: string) => string = (p) => p;

  set display(fn: (path: string) => string) {
    this.#display = fn;
  }

  add(path: string, reason: string): void {
    if (!this.#reasons.has(path)) this.#reasons.set(path, reason);
  }

  has(path: string): boolean {
    return this.#reasons.has(path);
  }

  name(path: string): string {
    return this.#display(path);
  }

  throwIfAny(): void {
    if (this.#reasons.size === 0) return;
    const lines = [...this.#reasons].map(([p, r]) => `${this.#display(p)}: ${r}`);
    const more = lines.length - MAX_LISTED_PROBLEMS;
    const text =
      lines.slice(0, MAX_LISTED_PROBLEMS).join('; ') + (more > 0 ? `; … and ${more} more` : '');
    throw new TapedeckError('STORAGE_CONFIG_INVALID', text);
  }
}

/** The nested body → flat paths (null kept: it clears on update). */
export function fromNested(
  body: Readonly<Record<string, unknown>>,
  problems: Problems,
): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of Object.entries(body)) {
    if (GROUPS.has(key)) {
      const subPaths = [...FIELDS.keys()].filter((p) => p.startsWith(`${key}.`));
      if (value === null) for (const p of subPaths) out.set(p, null);
      else if (!isRecord(value)) problems.add(key, 'must be an object');
      else
        for (const [sub, subValue] of Object.entries(value)) {
          const path = `${key}.${sub}`;
          if (FIELDS.has(path)) out.set(path, subValue);
          else problems.add(`${key}.${label(sub)}`, 'unknown field');
        }
    } else if (FIELDS.has(key)) out.set(key, value);
    else {
      const nested = LEGACY.get(key);
      const hint =
        typeof nested === 'string' && nested !== key ? ` (in the nested form: ${nested})` : '';
      problems.add(label(key), `unknown field${hint}`);
    }
  }
  return out;
}

/** The legacy flat body → flat nested paths; problems are named by the legacy field. */
export function fromLegacy(
  body: Readonly<Record<string, unknown>>,
  problems: Problems,
  existing: { config: StorageConfig } | undefined,
): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const names = new Map<string, string>([['storage_type', 'provider']]);
  const raw = body['provider'];
  const provider: Provider | undefined =
    raw === 'azure' ? 'abs' : raw === 's3' || raw === 'gcs' || raw === 'abs' ? raw : undefined;
  if (raw === null && existing !== undefined) out.set('storage_type', null);
  else if (provider === undefined)
    problems.add('storage_type', 'must be one of s3, gcs, abs, azure');
  else out.set('storage_type', provider);
  const type = provider ?? (existing?.config.storageType as Provider | undefined);

  for (const [key, value] of Object.entries(body)) {
    if (key === 'provider') continue;
    if (key === 'prefixes') {
      if (value === null) for (const c of FILE_CATEGORIES) out.set(`prefixes.${c}`, null);
      else if (!isRecord(value)) problems.add('prefixes', 'must be an object');
      else
        for (const [sub, subValue] of Object.entries(value))
          if (FIELDS.has(`prefixes.${sub}`)) out.set(`prefixes.${sub}`, subValue);
          else problems.add(`prefixes.${label(sub)}`, 'unknown field');
      continue;
    }
    const target = LEGACY.get(key);
    if (target === undefined) {
      problems.add(label(key), 'unknown field');
      continue;
    }
    const common = typeof target === 'string' && FIELDS.get(target)?.provider === undefined;
    if (type === undefined && !common) continue; // the provider is reported
    const path = typeof target === 'string' ? target : type === undefined ? '' : target(type);
    const fieldProvider = FIELDS.get(path)?.provider;
    if (
      (fieldProvider !== undefined && fieldProvider !== type) ||
      (key === 'container' && type !== 'abs' && type !== undefined)
    ) {
      problems.add(key, `not used by provider ${type}`);
      continue;
    }
    const already = names.get(path);
    if (already !== undefined) {
      problems.add(key, `give only one of ${already}, ${key}`);
      continue;
    }
    names.set(path, key);
    out.set(path, value);
  }
  const primary = new Map<string, string>();
  for (const [key, target] of LEGACY) {
    const path =
      typeof target === 'string' ? target : type !== undefined ? target(type) : undefined;
    if (path !== undefined && !primary.has(path)) primary.set(path, key);
  }
  problems.display = (path) => names.get(path) ?? primary.get(path) ?? path;
  return out;
}

/** A stored configuration → the flat nested paths (what an update starts from). */
export function toFlat(config: StorageConfig, secrets: StorageSecrets): Map<string, unknown> {
  const entries: [string, unknown][] = [
    ['name', config.name],
    ['storage_type', config.storageType],
    ['bucket', config.bucket],
    ['path', config.path],
    ['access_mode', config.accessMode],
    ['key_template', config.keyTemplate],
    ...FILE_CATEGORIES.map((c): [string, unknown] => [`prefixes.${c}`, config.prefixes[c]]),
    ['aws_s3.s3_region', config.s3?.region],
    ['aws_s3.s3_api_key', secrets.s3AccessKeyId],
    ['aws_s3.s3_secret', secrets.s3SecretAccessKey],
    ['aws_s3.s3_custom_endpoint_url', config.s3?.endpointUrl],
    ['aws_s3.s3_force_path_style', config.s3?.forcePathStyle],
    ['aws_s3.role_arn', config.s3?.roleArn],
    ['aws_s3.external_id', config.s3?.externalId],
    ['aws_s3.sse_kms_key_id', config.s3?.sseKmsKeyId],
    ['gcs_credentials', secrets.gcsCredentials],
    ['gcs_project_id', config.gcs?.projectId],
    ['gcs_custom_endpoint_url', config.gcs?.endpointUrl],
    ['gcs_federation.audience', config.gcs?.federation?.audience],
    ['gcs_federation.service_account_email', config.gcs?.federation?.serviceAccountEmail],
    ['abs_account_name', config.abs?.accountName],
    ['abs_account_key', secrets.absAccountKey],
    ['abs_client_id', config.abs?.clientId],
    ['abs_client_secret', secrets.absClientSecret],
    ['abs_tenant_id', config.abs?.tenantId],
    ['abs_custom_endpoint_url', config.abs?.endpointUrl],
    ['abs_federation.tenant_id', config.abs?.federation?.tenantId],
    ['abs_federation.client_id', config.abs?.federation?.clientId],
  ];
  return new Map(entries.filter(([, v]) => v !== undefined && v !== ''));
}

export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field name as shown in a message: as is when plain, else quoted and cut to 64. */
function label(key: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(key) ? key : JSON.stringify(key.slice(0, 64));
}
