import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TapedeckError } from '../../src/errors.js';
import { EPOCH_ONLY_WARNING } from '../../src/storage/key-template.js';
import { parseStorageInput } from '../../src/storage/storage-input.js';
import type { ParsedStorageInput } from '../../src/storage/storage-input.js';
import { storageView } from '../../src/storage/storage-view.js';
import type { StorageConfig, StorageSecrets } from '../../src/storage/types.js';

const SEED = 0x57_0a_9e;

const SA_KEY = JSON.stringify({
  type: 'service_account',
  project_id: 'demo-project',
  client_email: 'uploader@demo-project.iam.gserviceaccount.com',
  private_key: '-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----\n',
});
const AZ_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const GUID_A = '11111111-2222-3333-4444-555555555555';
const GUID_B = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const AUDIENCE =
  '//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/p/providers/tapedeck';
const ROLE = 'arn:aws:iam::123456789012:role/tapedeck-writer';

const S3_BODY = {
  name: 'primary',
  storage_type: 's3',
  bucket: 'call-recordings',
  aws_s3: { s3_region: 'eu-west-1', s3_api_key: 'AKIAEXAMPLE', s3_secret: 'c2VjcmV0/+=' },
};
const GCS_BODY = {
  name: 'gcs-one',
  storage_type: 'gcs',
  bucket: 'my_bucket.example',
  gcs_credentials: SA_KEY,
};
const ABS_BODY = {
  name: 'azure1',
  storage_type: 'abs',
  bucket: 'recordings',
  abs_account_name: 'devstoreaccount1',
  abs_account_key: AZ_KEY,
};

function parse(
  body: unknown,
  existing?: ParsedStorageInput,
  nameFromPath?: string,
): ParsedStorageInput {
  return parseStorageInput(body, existing, nameFromPath);
}

/** The one-line message a refused body gives (and that it is STORAGE_CONFIG_INVALID). */
function refusal(body: unknown, existing?: ParsedStorageInput, nameFromPath?: string): string {
  try {
    parse(body, existing, nameFromPath);
  } catch (error) {
    expect(error).toBeInstanceOf(TapedeckError);
    expect((error as TapedeckError).code).toBe('STORAGE_CONFIG_INVALID');
    expect((error as TapedeckError).message).not.toContain('\n');
    return (error as TapedeckError).message;
  }
  return 'accepted';
}

describe('parseStorageInput() nested form', () => {
  it('an s3 body with static keys gives the config, the secrets apart, and defaults', () => {
    expect(parse({ ...S3_BODY, path: '/calls/raw/' })).toEqual({
      config: {
        name: 'primary',
        storageType: 's3',
        bucket: 'call-recordings',
        path: 'calls/raw',
        accessMode: 'read_write',
        prefixes: {},
        s3: { region: 'eu-west-1' },
      },
      secrets: { s3AccessKeyId: 'AKIAEXAMPLE', s3SecretAccessKey: 'c2VjcmV0/+=' },
      warnings: [],
    });
  });

  it('an s3 body with every setting', () => {
    const { config, secrets } = parse({
      name: 'compat',
      storage_type: 's3',
      bucket: 'b.example-1',
      access_mode: 'write_only',
      prefixes: { audio: 'a/', video: ' /v ' },
      key_template: '{prefix}/{date}/{recording_id}/{file}',
      aws_s3: {
        s3_region: 'us-east-1',
        s3_custom_endpoint_url: 'http://127.0.0.1:9000',
        s3_force_path_style: true,
        role_arn: ROLE,
        external_id: 'ext-42',
        sse_kms_key_id: 'alias/tapedeck',
      },
    });
    expect(config).toEqual({
      name: 'compat',
      storageType: 's3',
      bucket: 'b.example-1',
      path: '',
      accessMode: 'write_only',
      prefixes: { audio: 'a', video: 'v' },
      keyTemplate: '{prefix}/{date}/{recording_id}/{file}',
      s3: {
        region: 'us-east-1',
        endpointUrl: 'http://127.0.0.1:9000',
        forcePathStyle: true,
        roleArn: ROLE,
        externalId: 'ext-42',
        sseKmsKeyId: 'alias/tapedeck',
      },
    });
    expect(secrets).toEqual({});
  });

  it('a gcs body with a service-account key (as text or as the object)', () => {
    const expected = {
      config: {
        name: 'gcs-one',
        storageType: 'gcs',
        bucket: 'my_bucket.example',
        path: '',
        accessMode: 'read_write',
        prefixes: {},
        gcs: {},
      },
      secrets: { gcsCredentials: SA_KEY },
      warnings: [],
    };
    expect(parse(GCS_BODY)).toEqual(expected);
    expect(parse({ ...GCS_BODY, gcs_credentials: JSON.parse(SA_KEY) })).toEqual(expected);
  });

  it('a gcs body with federation, project and endpoint', () => {
    const { config, secrets } = parse({
      name: 'gcs-fed',
      storage_type: 'gcs',
      bucket: 'bucket1',
      gcs_project_id: 'demo-project',
      gcs_custom_endpoint_url: 'http://localhost:4443',
      gcs_federation: {
        audience: AUDIENCE,
        service_account_email: 'w@demo-project.iam.gserviceaccount.com',
      },
    });
    expect(config.gcs).toEqual({
      projectId: 'demo-project',
      endpointUrl: 'http://localhost:4443',
      federation: {
        audience: AUDIENCE,
        serviceAccountEmail: 'w@demo-project.iam.gserviceaccount.com',
      },
    });
    expect(secrets).toEqual({});
  });

  it('an abs body with each of its three credential kinds', () => {
    expect(parse(ABS_BODY).config.abs).toEqual({ accountName: 'devstoreaccount1' });
    expect(parse(ABS_BODY).secrets).toEqual({ absAccountKey: AZ_KEY });
    const { abs_account_key: _k, ...noKey } = ABS_BODY;
    const client = parse({
      ...noKey,
      abs_client_id: GUID_A,
      abs_client_secret: 's~3cr3t.',
      abs_tenant_id: 'contoso.onmicrosoft.com',
      abs_custom_endpoint_url: 'http://[::1]:10000/devstoreaccount1',
    });
    expect(client.config.abs).toEqual({
      accountName: 'devstoreaccount1',
      endpointUrl: 'http://[::1]:10000/devstoreaccount1',
      clientId: GUID_A,
      tenantId: 'contoso.onmicrosoft.com',
    });
    expect(client.secrets).toEqual({ absClientSecret: 's~3cr3t.' });
    const fed = parse({ ...noKey, abs_federation: { tenant_id: GUID_B, client_id: GUID_A } });
    expect(fed.config.abs).toEqual({
      accountName: 'devstoreaccount1',
      federation: { tenantId: GUID_B, clientId: GUID_A },
    });
    expect(fed.secrets).toEqual({});
  });

  it('takes the name from the path when the body has none, and refuses a different one', () => {
    const { name: _n, ...body } = S3_BODY;
    expect(parse(body, undefined, 'from-path').config.name).toBe('from-path');
    expect(refusal(S3_BODY, undefined, 'from-path')).toBe(
      'name: does not match the name in the path ("from-path")',
    );
  });

  it('a key template without {prefix} warns that path and prefixes are unused; {epoch_ms} without {recording_id} warns', () => {
    expect(
      parse({ ...S3_BODY, path: 'p', key_template: '{call_id}/{epoch_ms}/{file}' }).warnings,
    ).toEqual([
      EPOCH_ONLY_WARNING,
      'key_template has no {prefix}: path and prefixes are not used in object keys',
    ]);
    expect(parse({ ...S3_BODY, key_template: '{recording_id}/{file}' }).warnings).toEqual([]);
  });

  it('does not modify the body it is given', () => {
    const body = structuredClone({ ...S3_BODY, path: '/x/', prefixes: { audio: '/a/' } });
    const copy = structuredClone(body);
    parse(body);
    expect(body).toEqual(copy);
  });
});

type Case = [string, Record<string, unknown>, string];
const s3 = (
  over: Record<string, unknown>,
  awsOver: Record<string, unknown> = {},
): Record<string, unknown> => ({ ...S3_BODY, ...over, aws_s3: { ...S3_BODY.aws_s3, ...awsOver } });
const s3Only = (aws: Record<string, unknown>): Record<string, unknown> => ({
  ...S3_BODY,
  aws_s3: aws,
});
const { abs_account_key: _absKey, ...ABS_NO_KEY } = ABS_BODY;

describe('parseStorageInput() refusals (exact reasons)', () => {
  it.each<Case>([
    ['body not an object', [] as unknown as Record<string, unknown>, 'body: must be a JSON object'],
    ['unknown top-level field', s3({ bucket_name: 'x' }), 'bucket_name: unknown field'],
    [
      'legacy name in the nested form',
      s3({ region: 'eu-west-1' }),
      'region: unknown field (in the nested form: aws_s3.s3_region)',
    ],
    ['unknown nested field', s3({}, { s3_regoin: 'x' }), 'aws_s3.s3_regoin: unknown field'],
    ['odd field name is quoted', s3({ 'a b\n': 1 }), '"a b\\n": unknown field'],
    ['group not an object', s3({ prefixes: 'audio' }), 'prefixes: must be an object'],
    [
      'name missing',
      { storage_type: 's3', bucket: 'abc', aws_s3: { s3_region: 'us-east-1' } },
      'name: required',
    ],
    [
      'name with a space',
      s3({ name: 'my storage' }),
      'name: must be 1–64 letters, digits, "_" or "-", starting with a letter or digit',
    ],
    [
      'name starting with "-"',
      s3({ name: '-x' }),
      'name: must be 1–64 letters, digits, "_" or "-", starting with a letter or digit',
    ],
    [
      'name of 65 characters',
      s3({ name: 'a'.repeat(65) }),
      'name: must be 1–64 letters, digits, "_" or "-", starting with a letter or digit',
    ],
    [
      'reserved name',
      s3({ name: 'tapedeck-managed' }),
      'name: "tapedeck-managed" is reserved for the managed storage',
    ],
    [
      'reserved name in other case',
      s3({ name: 'Tapedeck-Managed' }),
      'name: "tapedeck-managed" is reserved for the managed storage',
    ],
    ['name not a string', s3({ name: 7 }), 'name: must be a string'],
    ['empty string', s3({ name: '' }), 'name: must not be empty (omit it, or null to clear it)'],
    [
      'storage_type local',
      s3({ storage_type: 'local' }),
      'storage_type: must be one of s3, gcs, abs',
    ],
    ['storage_type missing', { name: 'x', bucket: 'abc' }, 'storage_type: required'],
    [
      'bucket missing',
      { name: 'x', storage_type: 's3', aws_s3: { s3_region: 'us-east-1' } },
      'bucket: required',
    ],
    ['s3 bucket too short', s3({ bucket: 'ab' }), 'bucket: must be 3–63 characters'],
    ['s3 bucket too long', s3({ bucket: 'a'.repeat(64) }), 'bucket: must be 3–63 characters'],
    [
      's3 bucket uppercase',
      s3({ bucket: 'MyBucket' }),
      'bucket: may contain only lowercase letters, digits, "." and "-"',
    ],
    [
      's3 bucket underscore',
      s3({ bucket: 'my_bucket' }),
      'bucket: may contain only lowercase letters, digits, "." and "-"',
    ],
    [
      's3 bucket ending in "-"',
      s3({ bucket: 'bucket-' }),
      'bucket: must start and end with a letter or digit',
    ],
    ['s3 bucket with ".."', s3({ bucket: 'a..b' }), 'bucket: must not contain ".."'],
    ['s3 bucket like an IP', s3({ bucket: '192.168.1.1' }), 'bucket: must not be an IP address'],
    ['s3 bucket with ".-"', s3({ bucket: 'a.-b' }), 'bucket: must not contain ".-" or "-."'],
    [
      's3 bucket xn--',
      s3({ bucket: 'xn--abc' }),
      'bucket: must not start with "xn--" or "sthree-"',
    ],
    [
      's3 bucket -s3alias',
      s3({ bucket: 'abc-s3alias' }),
      'bucket: must not end with "-s3alias" or "--ol-s3"',
    ],
    [
      'gcs bucket uppercase',
      { ...GCS_BODY, bucket: 'Bucket' },
      'bucket: may contain only lowercase letters, digits, ".", "_" and "-"',
    ],
    [
      'gcs bucket of 64 without dots',
      { ...GCS_BODY, bucket: 'a'.repeat(64) },
      'bucket: must be 3–63 characters (up to 222 with dots)',
    ],
    [
      'gcs dotted part over 63',
      { ...GCS_BODY, bucket: `${'a'.repeat(64)}.b` },
      'bucket: each dot-separated part must be at most 63 characters',
    ],
    [
      'gcs bucket goog…',
      { ...GCS_BODY, bucket: 'goog-bucket' },
      'bucket: must not start with "goog"',
    ],
    [
      'gcs bucket …google…',
      { ...GCS_BODY, bucket: 'my-google-bucket' },
      'bucket: must not contain "google"',
    ],
    [
      'gcs bucket starting with "_"',
      { ...GCS_BODY, bucket: '_abc' },
      'bucket: must start and end with a letter or digit',
    ],
    [
      'abs container with "."',
      { ...ABS_BODY, bucket: 'a.b.c' },
      'bucket: may contain only lowercase letters, digits and "-"',
    ],
    ['abs container with "--"', { ...ABS_BODY, bucket: 'a--b' }, 'bucket: must not contain "--"'],
    [
      'abs container starting with "-"',
      { ...ABS_BODY, bucket: '-abc' },
      'bucket: must start and end with a letter or digit',
    ],
    ['path with "//"', s3({ path: 'a//b' }), 'path: must not contain "//"'],
    ['path with ".."', s3({ path: 'a/../b' }), 'path: must not contain a "." or ".." segment'],
    ['path with "."', s3({ path: './b' }), 'path: must not contain a "." or ".." segment'],
    [
      'path with a space',
      s3({ path: 'a b' }),
      'path: character " " is not allowed (allowed: 0-9 A-Z a-z . / _ -)',
    ],
    [
      'path with unicode',
      s3({ path: 'anrufé' }),
      'path: character "é" is not allowed (allowed: 0-9 A-Z a-z . / _ -)',
    ],
    ['path too long', s3({ path: 'a'.repeat(513) }), 'path: must be at most 512 characters'],
    [
      'prefix with ".."',
      s3({ prefixes: { audio: '../x' } }),
      'prefixes.audio: must not contain a "." or ".." segment',
    ],
    [
      'prefix only slashes',
      s3({ prefixes: { video: '/' } }),
      'prefixes.video: must not be empty (omit it, or null, to use path)',
    ],
    ['unknown category', s3({ prefixes: { images: 'x' } }), 'prefixes.images: unknown field'],
    [
      'access_mode',
      s3({ access_mode: 'read_only' }),
      'access_mode: must be read_write or write_only',
    ],
    [
      'key template without {file}',
      s3({ key_template: '{recording_id}' }),
      'key_template: must contain {file} (without it the files of a recording overwrite each other)',
    ],
    [
      'key template with ".."',
      s3({ key_template: '../{recording_id}/{file}' }),
      'key_template: must not contain a "." or ".." segment',
    ],
    ['s3 region missing', s3Only({}), 'aws_s3.s3_region: required'],
    [
      'aws_s3 missing',
      { name: 'x', storage_type: 's3', bucket: 'abc' },
      'aws_s3.s3_region: required',
    ],
    [
      's3 region malformed',
      s3({}, { s3_region: 'EU West' }),
      'aws_s3.s3_region: must be a region name like us-east-1 (lowercase letters, digits, "-")',
    ],
    [
      'key without secret',
      s3Only({ s3_region: 'us-east-1', s3_api_key: 'AK' }),
      'aws_s3.s3_secret: required with aws_s3.s3_api_key',
    ],
    [
      'secret without key',
      s3Only({ s3_region: 'us-east-1', s3_secret: 'SK' }),
      'aws_s3.s3_api_key: required with aws_s3.s3_secret',
    ],
    [
      'secret with whitespace',
      s3({}, { s3_secret: 'abc def' }),
      'aws_s3.s3_secret: must be printable ASCII without whitespace',
    ],
    [
      'force_path_style not boolean',
      s3({}, { s3_force_path_style: 'yes' }),
      'aws_s3.s3_force_path_style: must be true or false',
    ],
    [
      'external_id without role_arn',
      s3Only({ s3_region: 'us-east-1', external_id: 'ext-1' }),
      'aws_s3.external_id: requires aws_s3.role_arn',
    ],
    [
      'role_arn with static keys',
      s3({}, { role_arn: ROLE }),
      "aws_s3.role_arn: cannot be combined with aws_s3.s3_api_key/aws_s3.s3_secret (the role is assumed from the server's own identity, or with tapedeck's OIDC token)",
    ],
    [
      'role_arn malformed',
      s3Only({ s3_region: 'us-east-1', role_arn: 'tapedeck-writer' }),
      'aws_s3.role_arn: must be an IAM role ARN (arn:aws:iam::123456789012:role/name)',
    ],
    [
      'kms key id malformed',
      s3({}, { sse_kms_key_id: 'key with spaces' }),
      'aws_s3.sse_kms_key_id: must be a KMS key id, key ARN, alias name or alias ARN',
    ],
    [
      'endpoint not a URL',
      s3({}, { s3_custom_endpoint_url: 'minio:9000' }),
      'aws_s3.s3_custom_endpoint_url: must be an http(s) URL',
    ],
    [
      'endpoint relative',
      s3({}, { s3_custom_endpoint_url: '/minio' }),
      'aws_s3.s3_custom_endpoint_url: must be an absolute http(s) URL',
    ],
    [
      'endpoint ftp',
      s3({}, { s3_custom_endpoint_url: 'ftp://127.0.0.1' }),
      'aws_s3.s3_custom_endpoint_url: must be an http(s) URL',
    ],
    [
      'endpoint plain http to a remote host',
      s3({}, { s3_custom_endpoint_url: 'http://minio.internal:9000' }),
      'aws_s3.s3_custom_endpoint_url: plain http is allowed only for loopback hosts (127.0.0.1, ::1, localhost); use https',
    ],
    [
      'endpoint plain http to a look-alike host',
      s3({}, { s3_custom_endpoint_url: 'http://localhost.evil.example' }),
      'aws_s3.s3_custom_endpoint_url: plain http is allowed only for loopback hosts (127.0.0.1, ::1, localhost); use https',
    ],
    [
      'endpoint with credentials',
      s3({}, { s3_custom_endpoint_url: 'https://user:pw@s3.example' }),
      'aws_s3.s3_custom_endpoint_url: must not contain credentials',
    ],
    [
      'endpoint with a query',
      s3({}, { s3_custom_endpoint_url: 'https://s3.example/?x=1' }),
      'aws_s3.s3_custom_endpoint_url: must not have a query or fragment',
    ],
    [
      's3 with a gcs field',
      s3({ gcs_project_id: 'demo-project' }),
      'gcs_project_id: not used by storage_type s3',
    ],
    [
      'gcs with aws_s3',
      { ...GCS_BODY, aws_s3: { s3_region: 'us-east-1' } },
      'aws_s3.s3_region: not used by storage_type gcs',
    ],
    [
      'gcs without credentials or federation',
      { name: 'g', storage_type: 'gcs', bucket: 'abc' },
      'gcs_credentials: required (or gcs_federation)',
    ],
    [
      'gcs with both',
      { ...GCS_BODY, gcs_federation: { audience: AUDIENCE } },
      'gcs_federation: give either gcs_credentials or gcs_federation, not both',
    ],
    [
      'gcs credentials not JSON',
      { ...GCS_BODY, gcs_credentials: 'not json' },
      'gcs_credentials: must be the service-account key JSON (it does not parse as JSON)',
    ],
    [
      'gcs credentials a JSON array',
      { ...GCS_BODY, gcs_credentials: '[]' },
      'gcs_credentials: must be a JSON object',
    ],
    [
      'gcs credentials of another type',
      {
        ...GCS_BODY,
        gcs_credentials: JSON.stringify({
          type: 'authorized_user',
          client_email: 'a@b',
          private_key: 'k',
        }),
      },
      'gcs_credentials: must be a service-account key (type "service_account")',
    ],
    [
      'gcs credentials without client_email',
      {
        ...GCS_BODY,
        gcs_credentials: JSON.stringify({ type: 'service_account', private_key: 'k' }),
      },
      'gcs_credentials: must have a client_email',
    ],
    [
      'gcs credentials without private_key',
      {
        ...GCS_BODY,
        gcs_credentials: JSON.stringify({ type: 'service_account', client_email: 'a@b' }),
      },
      'gcs_credentials: must have a private_key',
    ],
    [
      'gcs credentials a number',
      { ...GCS_BODY, gcs_credentials: 5 },
      'gcs_credentials: must be a string (the JSON text) or an object',
    ],
    [
      'gcs federation without audience',
      {
        name: 'g',
        storage_type: 'gcs',
        bucket: 'abc',
        gcs_federation: { service_account_email: 'a@b.c' },
      },
      'gcs_federation.audience: required',
    ],
    [
      'gcs federation audience elsewhere',
      {
        name: 'g',
        storage_type: 'gcs',
        bucket: 'abc',
        gcs_federation: { audience: 'https://sts.example' },
      },
      'gcs_federation.audience: must start with //iam.googleapis.com/ (the workload identity pool provider name)',
    ],
    [
      'gcs project id malformed',
      { ...GCS_BODY, gcs_project_id: 'P' },
      'gcs_project_id: must be a project id (6–30 lowercase letters, digits, "-", starting with a letter)',
    ],
    [
      'abs without account name',
      { name: 'a', storage_type: 'abs', bucket: 'abc', abs_account_key: AZ_KEY },
      'abs_account_name: required',
    ],
    [
      'abs account name uppercase',
      { ...ABS_BODY, abs_account_name: 'DevStore' },
      'abs_account_name: must be 3–24 lowercase letters and digits',
    ],
    [
      'abs without credentials',
      ABS_NO_KEY,
      'abs_account_key: required (one of abs_account_key, abs_client_id + abs_client_secret + abs_tenant_id, or abs_federation)',
    ],
    [
      'abs with key and client',
      { ...ABS_BODY, abs_client_id: GUID_A },
      'abs_client_id: give only one of abs_account_key, abs_client_id + abs_client_secret + abs_tenant_id, or abs_federation',
    ],
    [
      'abs with key and federation',
      { ...ABS_BODY, abs_federation: { tenant_id: GUID_A, client_id: GUID_B } },
      'abs_federation.tenant_id: give only one of abs_account_key, abs_client_id + abs_client_secret + abs_tenant_id, or abs_federation',
    ],
    [
      'abs client without secret and tenant',
      { ...ABS_NO_KEY, abs_client_id: GUID_A },
      'abs_client_secret: required with abs_client_id; abs_tenant_id: required with abs_client_id',
    ],
    [
      'abs federation without client',
      { ...ABS_NO_KEY, abs_federation: { tenant_id: GUID_A } },
      'abs_federation.client_id: required with abs_federation.tenant_id',
    ],
    [
      'abs client id not a GUID',
      { ...ABS_NO_KEY, abs_client_id: 'app', abs_client_secret: 's', abs_tenant_id: GUID_B },
      'abs_client_id: must be a GUID (00000000-0000-0000-0000-000000000000)',
    ],
    [
      'abs tenant malformed',
      { ...ABS_NO_KEY, abs_client_id: GUID_A, abs_client_secret: 's', abs_tenant_id: 'contoso' },
      'abs_tenant_id: must be a tenant GUID or domain (contoso.onmicrosoft.com)',
    ],
    [
      'abs account key not base64',
      { ...ABS_BODY, abs_account_key: 'not base64!' },
      'abs_account_key: must be the base64 storage account key',
    ],
    [
      'abs endpoint plain http remote',
      { ...ABS_BODY, abs_custom_endpoint_url: 'http://10.0.0.5:10000' },
      'abs_custom_endpoint_url: plain http is allowed only for loopback hosts (127.0.0.1, ::1, localhost); use https',
    ],
  ])('%s', (_name, body, message) => {
    expect(refusal(body)).toBe(message);
  });

  it('lists every bad field in one line', () => {
    expect(
      refusal({
        name: 'tapedeck-managed',
        storage_type: 's3',
        bucket: 'A',
        typo: 1,
        aws_s3: { s3_api_key: 'AK' },
      }),
    ).toBe(
      'typo: unknown field; name: "tapedeck-managed" is reserved for the managed storage; bucket: must be 3–63 characters; ' +
        'aws_s3.s3_region: required; aws_s3.s3_secret: required with aws_s3.s3_api_key',
    );
  });

  it('stops listing after 20 problems', () => {
    const body = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`x${i}`, 1]));
    const message = refusal({ ...S3_BODY, ...body });
    expect(message.split('; ')).toHaveLength(21);
    expect(message).toMatch(/; … and 10 more$/);
  });

  it('never quotes a secret it refuses', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 12, maxLength: 40 }).map((s) => `${s} !#`),
        (secret) => {
          const bodies = [
            s3({}, { s3_secret: secret }),
            s3({}, { s3_api_key: secret }),
            { ...ABS_BODY, abs_account_key: secret },
            {
              ...ABS_NO_KEY,
              abs_client_id: GUID_A,
              abs_tenant_id: GUID_B,
              abs_client_secret: secret,
            },
            { ...GCS_BODY, gcs_credentials: secret },
            { ...GCS_BODY, gcs_credentials: `{"type":"x","private_key":${JSON.stringify(secret)}` },
            { ...GCS_BODY, gcs_credentials: JSON.stringify({ type: 'user', private_key: secret }) },
          ];
          for (const body of bodies) {
            const message = refusal(body);
            expect(message).not.toBe('accepted');
            expect(message).not.toContain(secret);
          }
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('parseStorageInput() legacy flat form', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    [
      's3 (access_key_id/secret_access_key/endpoint)',
      {
        name: 'old',
        provider: 's3',
        bucket: 'bkt',
        region: 'us-east-1',
        access_key_id: 'AK',
        secret_access_key: 'SK',
        endpoint: 'https://s3.example',
        force_path_style: true,
        sse_kms_key_id: 'alias/k',
        prefix: '/rec/',
        access_mode: 'write_only',
      },
      {
        name: 'old',
        storage_type: 's3',
        bucket: 'bkt',
        path: 'rec',
        access_mode: 'write_only',
        aws_s3: {
          s3_region: 'us-east-1',
          s3_api_key: 'AK',
          s3_secret: 'SK',
          s3_custom_endpoint_url: 'https://s3.example',
          s3_force_path_style: true,
          sse_kms_key_id: 'alias/k',
        },
      },
    ],
    [
      's3 (endpoint_url, path, assume role)',
      {
        name: 'old',
        provider: 's3',
        bucket: 'bkt',
        region: 'us-east-1',
        role_arn: ROLE,
        external_id: 'ext',
        endpoint_url: 'http://localhost:9000',
        key_template: '{recording_id}/{file}',
        prefixes: { audio: 'a' },
      },
      {
        name: 'old',
        storage_type: 's3',
        bucket: 'bkt',
        key_template: '{recording_id}/{file}',
        prefixes: { audio: 'a' },
        aws_s3: {
          s3_region: 'us-east-1',
          role_arn: ROLE,
          external_id: 'ext',
          s3_custom_endpoint_url: 'http://localhost:9000',
        },
      },
    ],
    [
      's3 (api_key/secret)',
      {
        name: 'old',
        provider: 's3',
        bucket: 'bkt',
        region: 'us-east-1',
        api_key: 'AK',
        secret: 'SK',
        path: 'a/b',
      },
      {
        name: 'old',
        storage_type: 's3',
        bucket: 'bkt',
        path: 'a/b',
        aws_s3: { s3_region: 'us-east-1', s3_api_key: 'AK', s3_secret: 'SK' },
      },
    ],
    [
      'gcs (credentials object, project_id, endpoint)',
      {
        name: 'g',
        provider: 'gcs',
        bucket: 'bkt_1',
        credentials: JSON.parse(SA_KEY),
        project_id: 'demo-project',
        endpoint: 'https://gcs.example',
        path: 'x',
      },
      {
        name: 'g',
        storage_type: 'gcs',
        bucket: 'bkt_1',
        gcs_credentials: SA_KEY,
        gcs_project_id: 'demo-project',
        gcs_custom_endpoint_url: 'https://gcs.example',
        path: 'x',
      },
    ],
    [
      'azure (container, account key, endpoint)',
      {
        name: 'az',
        provider: 'azure',
        container: 'rec',
        account_name: 'devstoreaccount1',
        account_key: AZ_KEY,
        endpoint: 'http://127.0.0.1:10000/devstoreaccount1',
      },
      {
        name: 'az',
        storage_type: 'abs',
        bucket: 'rec',
        abs_account_name: 'devstoreaccount1',
        abs_account_key: AZ_KEY,
        abs_custom_endpoint_url: 'http://127.0.0.1:10000/devstoreaccount1',
      },
    ],
    [
      'abs (client secret)',
      {
        name: 'az',
        provider: 'abs',
        bucket: 'rec',
        account_name: 'devstoreaccount1',
        client_id: GUID_A,
        client_secret: 'cs',
        tenant_id: GUID_B,
      },
      {
        name: 'az',
        storage_type: 'abs',
        bucket: 'rec',
        abs_account_name: 'devstoreaccount1',
        abs_client_id: GUID_A,
        abs_client_secret: 'cs',
        abs_tenant_id: GUID_B,
      },
    ],
  ])('%s maps to the same model as the nested form', (_name, legacy, nested) => {
    expect(parse(legacy)).toEqual(parse(nested));
  });

  it.each<Case>([
    [
      'a bad provider',
      { name: 'x', provider: 'minio', bucket: 'abc' },
      'provider: must be one of s3, gcs, abs, azure',
    ],
    [
      'both aliases of one field',
      {
        name: 'x',
        provider: 's3',
        bucket: 'abc',
        region: 'us-east-1',
        api_key: 'A',
        access_key_id: 'B',
        secret: 'S',
      },
      'access_key_id: give only one of api_key, access_key_id',
    ],
    [
      'a field of another provider',
      { name: 'x', provider: 'gcs', bucket: 'abc', credentials: SA_KEY, region: 'us-east-1' },
      'region: not used by provider gcs',
    ],
    [
      'container outside azure',
      { name: 'x', provider: 's3', container: 'abc', region: 'us-east-1' },
      'container: not used by provider s3; bucket: required',
    ],
    [
      'an unknown field',
      { name: 'x', provider: 's3', bucket: 'abc', region: 'us-east-1', acl: 'private' },
      'acl: unknown field',
    ],
    [
      'missing region, named as the legacy field',
      { name: 'x', provider: 's3', bucket: 'abc' },
      'region: required',
    ],
    [
      'a key without its secret, named as sent',
      { name: 'x', provider: 's3', bucket: 'abc', region: 'us-east-1', api_key: 'A' },
      'secret_access_key: required with api_key',
    ],
    [
      'abs client without secret',
      {
        name: 'x',
        provider: 'azure',
        container: 'abc',
        account_name: 'devstoreaccount1',
        client_id: GUID_A,
        tenant_id: GUID_B,
      },
      'client_secret: required with client_id, tenant_id',
    ],
    [
      'provider and storage_type together',
      { ...S3_BODY, provider: 's3' },
      'provider: unknown field',
    ],
  ])('%s', (_name, body, message) => {
    expect(refusal(body)).toBe(message);
  });
});

describe('parseStorageInput() update (PUT)', () => {
  const s3Existing = parse(S3_BODY);

  it('an empty body keeps everything, secrets included', () => {
    expect(parse({}, s3Existing)).toEqual(s3Existing);
  });

  it('keeps the secrets when they are omitted and other fields change', () => {
    const updated = parse(
      { bucket: 'other-bucket', aws_s3: { s3_region: 'us-west-2' } },
      s3Existing,
    );
    expect(updated.config.bucket).toBe('other-bucket');
    expect(updated.config.s3).toEqual({ region: 'us-west-2' });
    expect(updated.secrets).toEqual(s3Existing.secrets);
  });

  it('replaces a secret when it is given and keeps its partner', () => {
    const updated = parse({ aws_s3: { s3_secret: 'new-secret' } }, s3Existing);
    expect(updated.secrets).toEqual({
      s3AccessKeyId: 'AKIAEXAMPLE',
      s3SecretAccessKey: 'new-secret',
    });
  });

  it('null clears a field; clearing both keys switches to the default chain', () => {
    const withEndpoint = parse(
      {
        aws_s3: { s3_custom_endpoint_url: 'https://s3.example' },
        key_template: '{recording_id}/{file}',
        path: 'p',
      },
      s3Existing,
    );
    const cleared = parse(
      {
        aws_s3: { s3_custom_endpoint_url: null, s3_api_key: null, s3_secret: null },
        key_template: null,
        path: null,
      },
      withEndpoint,
    );
    expect(cleared.config).toEqual({ ...s3Existing.config, path: '' });
    expect(cleared.secrets).toEqual({});
    expect(storageView(cleared.config, cleared.secrets)['auth']).toBe('default_chain');
  });

  it('null on a required field is refused as missing', () => {
    expect(refusal({ bucket: null }, s3Existing)).toBe('bucket: required');
  });

  it('switching gcs from a key to federation needs the key cleared', () => {
    const gcsExisting = parse(GCS_BODY);
    expect(refusal({ gcs_federation: { audience: AUDIENCE } }, gcsExisting)).toBe(
      'gcs_federation: give either gcs_credentials or gcs_federation, not both',
    );
    const switched = parse(
      { gcs_credentials: null, gcs_federation: { audience: AUDIENCE } },
      gcsExisting,
    );
    expect(switched.secrets).toEqual({});
    expect(switched.config.gcs).toEqual({ federation: { audience: AUDIENCE } });
  });

  it('replaces the abs account key and keeps it when omitted', () => {
    const absExisting = parse(ABS_BODY);
    const other = AZ_KEY.replace('Eby8', 'AAAA');
    expect(parse({ abs_account_key: other }, absExisting).secrets).toEqual({
      absAccountKey: other,
    });
    expect(parse({ path: 'x' }, absExisting).secrets).toEqual({ absAccountKey: AZ_KEY });
  });

  it('name and storage_type cannot change', () => {
    expect(refusal({ name: 'renamed' }, s3Existing)).toBe('name: cannot change ("primary")');
    expect(refusal({ storage_type: 'gcs' }, s3Existing)).toBe('storage_type: cannot change (s3)');
    expect(parse({ name: 'primary', storage_type: 's3' }, s3Existing)).toEqual(s3Existing);
  });

  it('accepts a legacy-form update and names its fields as sent', () => {
    expect(parse({ provider: 's3', secret_access_key: 'SK2' }, s3Existing).secrets).toEqual({
      s3AccessKeyId: 'AKIAEXAMPLE',
      s3SecretAccessKey: 'SK2',
    });
    expect(refusal({ provider: 'gcs' }, s3Existing)).toBe('provider: cannot change (s3)');
  });

  it('refuses to update the managed local storage', () => {
    const managed = {
      config: {
        name: 'tapedeck-managed',
        storageType: 'local',
        bucket: '/srv',
        path: '',
        accessMode: 'read_write',
        prefixes: {},
      } as StorageConfig,
      secrets: {},
    };
    expect(refusal({ path: 'x' }, { ...managed, warnings: [] })).toBe(
      'name: tapedeck-managed is managed by tapedeck and cannot be changed',
    );
  });
});

describe('parseStorageInput() fuzz', () => {
  const keys = [
    'name',
    'storage_type',
    'provider',
    'bucket',
    'path',
    'prefixes',
    'aws_s3',
    'gcs_credentials',
    'gcs_federation',
    'abs_federation',
    'abs_account_name',
    'abs_account_key',
    'region',
    'credentials',
    'key_template',
    'access_mode',
    'container',
    'api_key',
    'access_key_id',
  ];
  const value = fc.oneof(
    fc.constantFrom(
      's3',
      'gcs',
      'abs',
      'azure',
      'abc',
      '/a/',
      'us-east-1',
      '{recording_id}/{file}',
      SA_KEY,
      AZ_KEY,
      '',
      null,
      true,
      0,
    ),
    fc.string({ maxLength: 10 }),
    fc.dictionary(
      fc.constantFrom(
        's3_region',
        's3_api_key',
        's3_secret',
        'audience',
        'tenant_id',
        'client_id',
        'audio',
        'x',
      ),
      fc.oneof(fc.string({ maxLength: 6 }), fc.constant(null)),
    ),
    fc.jsonValue({ maxDepth: 2 }),
  );
  const nearValid = fc
    .tuple(
      fc.constantFrom<Record<string, unknown>>(S3_BODY, GCS_BODY, ABS_BODY),
      fc.constantFrom(...keys),
      value,
    )
    .map(([base, key, v]) => ({ ...base, [key]: v }));
  const body = fc.oneof(
    nearValid,
    fc.dictionary(fc.constantFrom(...keys), value),
    fc.jsonValue({ maxDepth: 3 }),
    fc.anything(),
  );

  it('returns a result or throws STORAGE_CONFIG_INVALID for any body, create or update (20,000 runs)', () => {
    const existing = [undefined, parse(S3_BODY), parse(GCS_BODY), parse(ABS_BODY)];
    let accepted = 0;
    fc.assert(
      fc.property(body, fc.nat(3), (b, i) => {
        try {
          const result = parse(b, existing[i]);
          accepted++;
          return typeof result.config.name === 'string';
        } catch (error) {
          return (
            error instanceof TapedeckError &&
            error.code === 'STORAGE_CONFIG_INVALID' &&
            !error.message.includes('\n')
          );
        }
      }),
      { seed: SEED, numRuns: 20_000 },
    );
    expect(accepted).toBeGreaterThan(500); // the fuzz reaches the accepting path too
  });
});

describe('storageView()', () => {
  it('shows the s3 nested shape with *_set flags and no secret', () => {
    const { config, secrets } = parse({ ...S3_BODY, prefixes: { audio: 'a' } });
    expect(
      storageView(config, secrets, {
        created_at: '2026-11-21T08:00:00Z',
        updated_at: '2026-11-21T09:00:00Z',
      }),
    ).toEqual({
      name: 'primary',
      storage_type: 's3',
      bucket: 'call-recordings',
      path: '',
      access_mode: 'read_write',
      prefixes: { audio: 'a' },
      key_template: null,
      managed: false,
      auth: 'static_keys',
      aws_s3: {
        s3_region: 'eu-west-1',
        s3_custom_endpoint_url: null,
        s3_force_path_style: false,
        role_arn: null,
        external_id: null,
        sse_kms_key_id: null,
        s3_api_key_set: true,
        s3_secret_set: true,
      },
      created_at: '2026-11-21T08:00:00Z',
      updated_at: '2026-11-21T09:00:00Z',
    });
  });

  it('shows gcs and abs fields, and the service account email from the key', () => {
    const gcs = parse(GCS_BODY);
    expect(storageView(gcs.config, gcs.secrets)).toMatchObject({
      gcs_project_id: null,
      gcs_custom_endpoint_url: null,
      gcs_federation: null,
      gcs_credentials_set: true,
      gcs_client_email: 'uploader@demo-project.iam.gserviceaccount.com',
      auth: 'service_account',
    });
    const abs = parse({
      ...ABS_NO_KEY,
      abs_client_id: GUID_A,
      abs_client_secret: 'cs',
      abs_tenant_id: GUID_B,
    });
    expect(storageView(abs.config, abs.secrets)).toMatchObject({
      abs_account_name: 'devstoreaccount1',
      abs_client_id: GUID_A,
      abs_tenant_id: GUID_B,
      abs_federation: null,
      abs_account_key_set: false,
      abs_client_secret_set: true,
      auth: 'client_secret',
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['s3 static keys', S3_BODY, 'static_keys'],
    ['s3 default chain', s3Only({ s3_region: 'us-east-1' }), 'default_chain'],
    [
      's3 assume role',
      s3Only({ s3_region: 'us-east-1', role_arn: ROLE, external_id: 'e1' }),
      'assume_role',
    ],
    ['s3 web identity', s3Only({ s3_region: 'us-east-1', role_arn: ROLE }), 'web_identity'],
    ['gcs service account', GCS_BODY, 'service_account'],
    [
      'gcs federation',
      { name: 'g', storage_type: 'gcs', bucket: 'abc', gcs_federation: { audience: AUDIENCE } },
      'federation',
    ],
    ['abs account key', ABS_BODY, 'account_key'],
    [
      'abs client secret',
      { ...ABS_NO_KEY, abs_client_id: GUID_A, abs_client_secret: 'cs', abs_tenant_id: GUID_B },
      'client_secret',
    ],
    [
      'abs federation',
      { ...ABS_NO_KEY, abs_federation: { tenant_id: GUID_A, client_id: GUID_B } },
      'federation',
    ],
  ])('auth of %s', (_name, body, auth) => {
    const { config, secrets } = parse(body);
    expect(storageView(config, secrets)['auth']).toBe(auth);
  });

  it('shows the managed local storage without its root directory', () => {
    const config: StorageConfig = {
      name: 'tapedeck-managed',
      storageType: 'local',
      bucket: '/var/lib/tapedeck',
      path: '',
      accessMode: 'read_write',
      prefixes: {},
    };
    const view = storageView(config, {});
    expect(view).toEqual({
      name: 'tapedeck-managed',
      storage_type: 'local',
      path: '',
      access_mode: 'read_write',
      prefixes: {},
      key_template: null,
      managed: true,
      auth: 'managed',
    });
  });

  it('never contains a secret value, for every provider and every secret field', () => {
    const configs: StorageConfig[] = [
      parse(S3_BODY).config,
      parse(GCS_BODY).config,
      parse(ABS_BODY).config,
      { ...parse(GCS_BODY).config, storageType: 'local' },
    ];
    const secret = fc.string({ minLength: 8, maxLength: 40 }).filter((s) => s.trim().length >= 8);
    fc.assert(
      fc.property(
        fc.constantFrom(...configs),
        secret,
        secret,
        secret,
        secret,
        secret,
        (config, a, b, c, d, e) => {
          const secrets: StorageSecrets = {
            s3AccessKeyId: a,
            s3SecretAccessKey: b,
            gcsCredentials: c,
            absAccountKey: d,
            absClientSecret: e,
          };
          const text = JSON.stringify(storageView(config, secrets));
          return [a, b, c, d, e].every(
            (s) => !text.includes(s) && !text.includes(JSON.stringify(s).slice(1, -1)),
          );
        },
      ),
      { seed: SEED, numRuns: 2_000 },
    );
  });
});
