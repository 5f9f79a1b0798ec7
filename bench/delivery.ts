/**
 * Delivery benchmark (`npm run bench -- --delivery-only`):
 *
 * 1. A ~1 GiB archive uploaded to a local S3 server (s3rver on 127.0.0.1) by tapedeck's S3
 *    destination (the code the delivery worker runs) versus a plain `@aws-sdk/lib-storage`
 *    Upload of the same file to the same server with the same part size and queue, in the
 *    same run, alternating; best of two each. Reports MB/s, the throughput ratio
 *    (tapedeck / baseline, target ≥ 0.9) and the process's peak RSS during each upload.
 * 2. Stop → `call.recording_ready` for a 5-minute audio-only call (15,000 Opus packets,
 *    sent faster than real time), delivered to the managed local disk and to the S3 server
 *    (target ≤ 2 s on loopback).
 */
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { TapedeckClient } from '../packages/client/src/index.js';
import { startService } from '../src/api/start-service.js';
import { sha256Of } from '../src/calls/local-storage.js';
import { createS3Destination } from '../src/storage/providers/s3.js';
import type { StorageConfig } from '../src/storage/types.js';
import { OPUS_SDP } from '../test/calls/support.js';
import { startS3rverWithLog } from '../test/helpers/s3rver-server.js';
import { sendSyntheticOpus } from '../test/helpers/synthetic-opus.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cache = path.join(repo, 'bench', '.cache');
const MIB = 1024 * 1024;
const SIZE = 1024 * MIB;
const PART = 16 * MIB;
const QUEUE = 4;
const BUCKET = 'bench';

async function ensureFile(): Promise<string> {
  const file = path.join(cache, 'delivery-1gib.bin');
  if (existsSync(file) && (await stat(file)).size === SIZE) return file;
  await mkdir(cache, { recursive: true });
  const handle = await open(`${file}.tmp`, 'w');
  try {
    for (let written = 0; written < SIZE; written += 4 * MIB)
      await handle.write(randomBytes(4 * MIB));
  } finally {
    await handle.close();
  }
  const { rename } = await import('node:fs/promises');
  await rename(`${file}.tmp`, file);
  return file;
}

/** Runs `work`, sampling RSS every 50 ms; returns wall ms and the peak RSS seen. */
async function timed(work: () => Promise<unknown>): Promise<{ ms: number; peakRss: number }> {
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 50);
  const start = performance.now();
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return { ms: performance.now() - start, peakRss };
}

const mbps = (ms: number): number => SIZE / MIB / (ms / 1000);
const mb = (bytes: number): string => `${(bytes / MIB).toFixed(0)} MB`;
const row = (...cells: string[]): string =>
  `  ${cells[0]!.padEnd(34)}${cells
    .slice(1)
    .map((c) => c.padStart(12))
    .join('')}\n`;

async function uploadBench(): Promise<string> {
  const file = await ensureFile();
  const sha256 = await sha256Of(file);
  const credentials = {
    accessKeyId: `AK${randomBytes(6).toString('hex')}`,
    secretAccessKey: randomBytes(20).toString('hex'),
  };
  const s3 = await startS3rverWithLog([BUCKET], credentials);
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials,
  });
  const config: StorageConfig = {
    name: 'bench',
    storageType: 's3',
    bucket: BUCKET,
    path: '',
    accessMode: 'read_write',
    prefixes: {},
    s3: { region: 'us-east-1', endpointUrl: s3.endpoint, forcePathStyle: true },
  };
  const destination = createS3Destination(config, {
    credentials,
    partSizeBytes: PART,
    queueSize: QUEUE,
  });
  const baseline = async (key: string): Promise<void> => {
    await new Upload({
      client,
      params: {
        Bucket: BUCKET,
        Key: key,
        Body: createReadStream(file),
        ContentType: 'application/zip',
      },
      partSize: PART,
      queueSize: QUEUE,
    }).done();
  };
  const tapedeck = async (key: string): Promise<void> => {
    // As the delivery worker calls it: with the digest recorded at hand-off, verified end to end.
    await destination.upload({
      key,
      file,
      sizeBytes: SIZE,
      contentType: 'application/zip',
      sha256,
    });
  };
  const results = {
    baseline: [] as { ms: number; peakRss: number }[],
    tapedeck: [] as { ms: number; peakRss: number }[],
  };
  try {
    for (let round = 0; round < 2; round++) {
      for (const [name, run] of [
        ['baseline', baseline],
        ['tapedeck', tapedeck],
      ] as const) {
        const key = `${name}-${round}.bin`;
        results[name].push(await timed(() => run(key)));
        await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
      }
    }
  } finally {
    await destination.close();
    client.destroy();
    await s3.stop();
  }
  const best = (xs: { ms: number }[]): number => Math.min(...xs.map((x) => x.ms));
  const peak = (xs: { peakRss: number }[]): number => Math.max(...xs.map((x) => x.peakRss));
  const td = best(results.tapedeck);
  const base = best(results.baseline);
  let report = `\ndelivery: ${mb(SIZE)} archive to s3rver on loopback (${PART / MIB} MiB parts, ${QUEUE} in parallel), best of 2\n`;
  report += row('', 'tapedeck', 'lib-storage', 'ratio');
  report += row(
    'throughput',
    `${mbps(td).toFixed(0)} MB/s`,
    `${mbps(base).toFixed(0)} MB/s`,
    (base / td).toFixed(2),
  );
  report += row(
    'peak RSS (whole process)',
    mb(peak(results.tapedeck)),
    mb(peak(results.baseline)),
    (peak(results.tapedeck) / peak(results.baseline)).toFixed(2),
  );
  report += `  (ratio = tapedeck throughput / plain lib-storage throughput; target ≥ 0.9)\n`;
  return report;
}

async function stopToReady(external: boolean): Promise<number> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  const secret = randomBytes(32).toString('base64url');
  const credentials = {
    accessKeyId: `AK${randomBytes(6).toString('hex')}`,
    secretAccessKey: randomBytes(20).toString('hex'),
  };
  const s3 = external ? await startS3rverWithLog([BUCKET], credentials) : undefined;
  const service = await startService({
    env: {
      TAPEDECK_HOST: '127.0.0.1',
      TAPEDECK_PORT: '0',
      TAPEDECK_DATA_DIR: dataDir,
      TAPEDECK_API_SECRET: secret,
      TAPEDECK_RTP_HOST: '127.0.0.1',
      TAPEDECK_LOG_LEVEL: 'silent',
    },
    delivery: { pollIntervalMs: 250 },
  });
  const client = new TapedeckClient({ baseUrl: service.url, apiSecret: secret });
  try {
    await client.updateCallType('bench', {
      settings: { raw_recording: { mode: 'available', audio_only: true } },
    });
    if (s3 !== undefined) {
      await client.createExternalStorage({
        name: 'bench-s3',
        storage_type: 's3',
        bucket: BUCKET,
        aws_s3: {
          s3_region: 'us-east-1',
          s3_api_key: credentials.accessKeyId,
          s3_secret: credentials.secretAccessKey,
          s3_custom_endpoint_url: s3.endpoint,
          s3_force_path_style: true,
        },
      });
    }
    const call = client.call('bench', 'five-minutes');
    await call.getOrCreate();
    const track = await call.addRtpTrack({
      user_id: 'u',
      session_id: 's',
      track_type: 'audio',
      sdp: OPUS_SDP,
    });
    await call.startRecording('raw', s3 !== undefined ? { external_storage: 'bench-s3' } : {});
    await sendSyntheticOpus({ host: track.rtp.host, port: track.rtp.port, packets: 15_000 });
    await new Promise((r) => setTimeout(r, 500));
    const started = performance.now();
    await call.stopRecording('raw');
    for (;;) {
      const { events } = await call.listEvents();
      if (events.some((e) => e.type === 'call.recording_ready')) break;
      if (
        events.some(
          (e) => e.type === 'call.recording_failed' || e.type === 'call.recording_copy_failed',
        )
      )
        throw new Error('the benchmark recording failed');
      await new Promise((r) => setTimeout(r, 10));
    }
    return performance.now() - started;
  } finally {
    await service.server.close();
    await s3?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function runDeliveryBench(): Promise<string> {
  let report = await uploadBench();
  const local = await stopToReady(false);
  const s3 = await stopToReady(true);
  report += `\nstop → call.recording_ready, 5-minute audio-only call (15,000 Opus packets)\n`;
  report += row('', 'managed disk', 'S3 (s3rver)');
  report += row('latency', `${(local / 1000).toFixed(2)} s`, `${(s3 / 1000).toFixed(2)} s`);
  report += `  (target ≤ 2 s on loopback)\n`;
  return report;
}
