import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig } from '../../src/config/config.js';
import { loadConfigFromEnv } from '../../src/config/load-config-node.js';
import { TapedeckError } from '../../src/errors.js';

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TapedeckError);
    expect((error as TapedeckError).code).toBe('INVALID_ARGUMENT');
    const problems = (error as ConfigError).problems;
    for (const p of problems) expect((error as Error).message).toContain(p);
    return problems;
  }
  throw new Error('expected loadConfig() to throw');
}

describe('loadConfig()', () => {
  it('an empty environment gives the embedded defaults', () => {
    expect(loadConfig({ env: {} })).toEqual({
      host: '127.0.0.1',
      port: 8080,
      dataDir: './data',
      logLevel: 'info',
      rtpHost: '127.0.0.1',
      rtpPortMin: 40000,
      rtpPortMax: 49999,
      partSeconds: 7200,
      udpReceiveBufferBytes: 4194304,
      retentionDays: 14,
      deliveryWindowSeconds: 86400,
      deliveryMaxBackoffSeconds: 300,
      recoveryDays: 30,
      managedS3Region: 'us-east-1',
    });
  });

  it('reads every TAPEDECK_* variable', () => {
    const secret = 's'.repeat(40);
    expect(
      loadConfig({
        env: {
          TAPEDECK_HOST: '0.0.0.0',
          TAPEDECK_PORT: '0',
          TAPEDECK_DATA_DIR: '/var/lib/tapedeck',
          TAPEDECK_API_SECRET: secret,
          TAPEDECK_LOG_LEVEL: 'debug',
          TAPEDECK_RTP_HOST: '10.0.0.1',
          TAPEDECK_RTP_PORT_MIN: '50000',
          TAPEDECK_RTP_PORT_MAX: '50010',
          TAPEDECK_PART_SECONDS: '600',
          TAPEDECK_UDP_RECEIVE_BUFFER_BYTES: '1048576',
          TAPEDECK_PUBLIC_URL: 'https://rec.example.com/',
          TAPEDECK_RETENTION_DAYS: '7',
          TAPEDECK_DELIVERY_WINDOW_SECONDS: '3600',
          TAPEDECK_DELIVERY_MAX_BACKOFF_SECONDS: '60',
          TAPEDECK_RECOVERY_DAYS: '10',
          TAPEDECK_MANAGED_S3_BUCKET: 'managed-bucket',
          TAPEDECK_MANAGED_S3_REGION: 'eu-west-1',
          TAPEDECK_MANAGED_S3_ENDPOINT: 'http://127.0.0.1:9000',
          TAPEDECK_MANAGED_S3_ACCESS_KEY_ID: 'AKIDEXAMPLE',
          TAPEDECK_MANAGED_S3_SECRET_ACCESS_KEY: 'not-a-real-secret',
          TAPEDECK_AWS_STS_ENDPOINT: 'http://127.0.0.1:9001',
          TAPEDECK_GCP_STS_ENDPOINT: 'http://127.0.0.1:9002',
          TAPEDECK_GCP_IAM_CREDENTIALS_ENDPOINT: 'http://127.0.0.1:9003',
          TAPEDECK_AZURE_AUTHORITY_HOST: 'https://127.0.0.1:9004',
        },
      }),
    ).toEqual({
      host: '0.0.0.0',
      port: 0,
      dataDir: '/var/lib/tapedeck',
      apiSecret: secret,
      logLevel: 'debug',
      rtpHost: '10.0.0.1',
      rtpPortMin: 50000,
      rtpPortMax: 50010,
      partSeconds: 600,
      udpReceiveBufferBytes: 1048576,
      publicUrl: 'https://rec.example.com',
      retentionDays: 7,
      deliveryWindowSeconds: 3600,
      deliveryMaxBackoffSeconds: 60,
      recoveryDays: 10,
      managedS3Bucket: 'managed-bucket',
      managedS3Region: 'eu-west-1',
      managedS3Endpoint: 'http://127.0.0.1:9000',
      managedS3AccessKeyId: 'AKIDEXAMPLE',
      managedS3SecretAccessKey: 'not-a-real-secret',
      awsStsEndpoint: 'http://127.0.0.1:9001',
      gcpStsEndpoint: 'http://127.0.0.1:9002',
      gcpIamCredentialsEndpoint: 'http://127.0.0.1:9003',
      azureAuthorityHost: 'https://127.0.0.1:9004',
    });
  });

  it('takes camelCase keys from the config file, and the environment wins over it', () => {
    const config = loadConfig({
      env: { TAPEDECK_PORT: '9000' },
      file: { port: 7000, dataDir: '/srv/td', rtpPortMin: 41000 },
    });
    expect(config).toMatchObject({ port: 9000, dataDir: '/srv/td', rtpPortMin: 41000 });
  });

  it('reports several bad settings at once, one clear line each, without echoing the secret', () => {
    const problems = problemsOf(() =>
      loadConfig({
        env: {
          TAPEDECK_PORT: 'abc',
          TAPEDECK_LOG_LEVEL: 'loud',
          TAPEDECK_API_SECRET: 'hunter2-is-secret',
          TAPEDECK_RTP_PORT_MIN: '70000',
        },
        file: { host: 42, colour: 'blue' },
      }),
    );
    expect(problems[0]).toMatch(
      /^the config file has an unknown key "colour" \(known: host, port, dataDir, apiSecret, .*managedS3Bucket.*\)$/,
    );
    expect(problems.slice(1)).toEqual([
      'host (config file) must be a non-empty string without spaces, got 42',
      'TAPEDECK_PORT must be an integer in 0..65535, got "abc"',
      'TAPEDECK_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      'TAPEDECK_RTP_PORT_MIN must be an integer in 1..65535, got "70000"',
      'TAPEDECK_API_SECRET must be at least 32 characters without spaces (got 17)',
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('never echoes the managed S3 secret and wants the key pair together', () => {
    const problems = problemsOf(() =>
      loadConfig({
        env: {
          TAPEDECK_MANAGED_S3_SECRET_ACCESS_KEY: 'hunter3-is-secret',
          TAPEDECK_PUBLIC_URL: 'ftp://x',
          TAPEDECK_RETENTION_DAYS: '0',
        },
      }),
    );
    expect(problems).toEqual([
      'TAPEDECK_PUBLIC_URL must be an http(s) URL, got "ftp://x"',
      'TAPEDECK_RETENTION_DAYS must be an integer in 1..3650, got "0"',
      'TAPEDECK_MANAGED_S3_ACCESS_KEY_ID and TAPEDECK_MANAGED_S3_SECRET_ACCESS_KEY must be set together',
    ]);
    expect(problems.join('\n')).not.toContain('hunter3');
  });

  it('rejects a TAPEDECK_PART_SECONDS outside 1..86400', () => {
    expect(problemsOf(() => loadConfig({ env: { TAPEDECK_PART_SECONDS: '0' } }))).toEqual([
      'TAPEDECK_PART_SECONDS must be an integer in 1..86400, got "0"',
    ]);
  });

  it('rejects an RTP port range whose minimum exceeds its maximum', () => {
    expect(
      problemsOf(() =>
        loadConfig({ env: { TAPEDECK_RTP_PORT_MIN: '5000', TAPEDECK_RTP_PORT_MAX: '4000' } }),
      ),
    ).toEqual(['TAPEDECK_RTP_PORT_MIN (5000) must not exceed TAPEDECK_RTP_PORT_MAX (4000)']);
  });

  it('rejects an RTP port range without an even/odd pair', () => {
    expect(
      problemsOf(() =>
        loadConfig({ env: { TAPEDECK_RTP_PORT_MIN: '5001', TAPEDECK_RTP_PORT_MAX: '5002' } }),
      ),
    ).toEqual([
      'TAPEDECK_RTP_PORT_MIN..TAPEDECK_RTP_PORT_MAX (5001..5002) must hold an even RTP port and the odd RTCP port after it',
    ]);
  });

  it('rejects a port with a sign, a fraction or spaces', () => {
    for (const port of ['-1', '80.5', ' 80', '1e3']) {
      expect(problemsOf(() => loadConfig({ env: { TAPEDECK_PORT: port } }))).toEqual([
        `TAPEDECK_PORT must be an integer in 0..65535, got ${JSON.stringify(port)}`,
      ]);
    }
  });

  it('rejects a config file that is not a JSON object', () => {
    expect(problemsOf(() => loadConfig({ env: {}, file: [1, 2] }))).toEqual([
      'the config file must hold a JSON object',
    ]);
  });

  it('does not modify the environment object it was given', () => {
    const env = Object.freeze({ TAPEDECK_PORT: '81' });
    expect(loadConfig({ env }).port).toBe(81);
    expect(env).toEqual({ TAPEDECK_PORT: '81' });
  });
});

describe('loadConfigFromEnv()', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the JSON file named by TAPEDECK_CONFIG', async () => {
    const file = path.join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ port: 8181, logLevel: 'warn' }));
    const config = await loadConfigFromEnv({ TAPEDECK_CONFIG: file, TAPEDECK_LOG_LEVEL: 'error' });
    expect(config).toMatchObject({ port: 8181, logLevel: 'error' });
  });

  it('reports a missing config file as a bad setting', async () => {
    const file = path.join(dir, 'missing.json');
    await expect(loadConfigFromEnv({ TAPEDECK_CONFIG: file })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      problems: [
        `TAPEDECK_CONFIG names a file that cannot be read: ${JSON.stringify(file)} (ENOENT)`,
      ],
    });
  });

  it('reports a config file that is not JSON', async () => {
    const file = path.join(dir, 'broken.json');
    await writeFile(file, '{ port: 1 }');
    await expect(loadConfigFromEnv({ TAPEDECK_CONFIG: file })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining(
        `TAPEDECK_CONFIG file ${JSON.stringify(file)} is not valid JSON`,
      ),
    });
  });
});
