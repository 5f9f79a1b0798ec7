/**
 * Crash recovery and graceful shutdown over real parts: `node bin/tapedeck.js serve` as a
 * real process on a temp data dir, an Opus RTP track fed by ffmpeg, the process killed
 * (SIGKILL) or stopped (SIGTERM) by its own PID mid-recording, then started again on the
 * same data dir. The archive is downloaded through its signed URL and processed.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintServerToken } from '../../src/api/auth/tokens.js';
import { processAll } from '../../src/raw/operations.js';
import { REPO_ROOT } from '../e2e/support/cli-runner.js';
import {
  DEFAULT_AUDIO_INPUT,
  encoderArgs,
  FFMPEG_PREAMBLE,
  lavfiInputArgs,
  rtpOutputArgs,
} from '../helpers/ffmpeg-rtp-args.js';
import { runFfmpeg } from '../helpers/run-ffmpeg.js';
import { ffmpegDecodeErrors, ffprobe } from '../media/mux-helpers.js';
import { OPUS_SDP, type Json } from './support.js';

type Started = {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exit: Promise<number | null>;
};

const dirs: string[] = [];

beforeAll(async () => {
  // tsc emits even when files other engineers are still writing fail to type-check.
  await promisify(execFile)(
    process.execPath,
    [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    { cwd: REPO_ROOT },
  ).catch(() => undefined);
}, 120_000);

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function startServe(dataDir: string, secret: string): Promise<Started> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/tapedeck.js'), 'serve'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      TAPEDECK_DATA_DIR: dataDir,
      TAPEDECK_API_SECRET: secret,
      TAPEDECK_HOST: '127.0.0.1',
      TAPEDECK_PORT: '0',
      TAPEDECK_RTP_HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (s: string): void => {
      output += s;
      const match = /tapedeck listening on (http:\/\/\S+)\n/.exec(output);
      if (match?.[1] !== undefined) resolve({ child, url: match[1], exit });
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    void exit.then((code) =>
      reject(new Error(`serve exited with ${code} before listening:\n${output}`)),
    );
  });
}

type Session = {
  readonly dataDir: string;
  readonly secret: string;
  readonly token: string;
};

async function api(
  url: string,
  token: string,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${url}${route}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
}

async function newSession(): Promise<Session> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  dirs.push(dataDir);
  const secret = randomBytes(32).toString('base64url');
  return { dataDir, secret, token: await mintServerToken(secret) };
}

/** Complete rtpdump records on disk under `dir` (header line, 16-byte file header, records). */
async function rtpdumpRecords(dir: string): Promise<number> {
  let count = 0;
  const names = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith('.rtpdump'))) {
    const bytes = await readFile(path.join(dir, name));
    let at = bytes.indexOf(0x0a) + 1 + 16;
    while (at > 16 && at + 8 <= bytes.length) {
      const length = bytes.readUInt16BE(at);
      if (length < 8 || at + length > bytes.length) break;
      count += 1;
      at += length;
    }
  }
  return count;
}

/**
 * Starts a server, a recording and a 4 s ffmpeg Opus stream; then sends `signal` to
 * the server's PID once 1.5 s of audio reached the disk. Resolves with the recording id and the server's exit code.
 */
async function recordThenSignal(
  s: Session,
  signal: 'SIGKILL' | 'SIGTERM',
): Promise<{ recordingId: string; code: number | null }> {
  const server = await startServe(s.dataDir, s.secret);
  const call = (method: string, route: string, body?: unknown): ReturnType<typeof api> =>
    api(server.url, s.token, method, route, body);
  expect(
    (
      await call('PUT', '/v1/call_types/rtp', {
        settings: { raw_recording: { mode: 'available' } },
      })
    ).status,
  ).toBe(200);
  expect((await call('POST', '/v1/calls/rtp/c1', {})).status).toBe(201);
  const started = await call('POST', '/v1/calls/rtp/c1/recordings/raw/start');
  expect(started.status).toBe(201);
  const track = await call('POST', '/v1/calls/rtp/c1/rtp_tracks', {
    user_id: 'alice',
    session_id: 'sess1',
    track_type: 'audio',
    sdp: OPUS_SDP,
  });
  expect(track.status).toBe(201);
  const sending = runFfmpeg(
    [
      ...FFMPEG_PREAMBLE,
      ...lavfiInputArgs(DEFAULT_AUDIO_INPUT, 4),
      ...encoderArgs({ codec: 'opus', bitrateKbps: 64, keyframeIntervalFrames: 30 }),
      ...rtpOutputArgs({
        payloadType: 111,
        ssrc: 0x1234_5678,
        port: track.json.rtp.port,
        sendBye: false,
      }),
    ],
    { timeoutMs: 60_000 },
  ).catch(() => undefined); // sending to a closed port may fail once the server is gone
  // Signal once 1.5 s of Opus (75 records of 20 ms) has reached the disk.
  const spool = path.join(s.dataDir, 'spool', started.json.recording.id as string);
  while ((await rtpdumpRecords(spool)) < 75)
    await new Promise((resolve) => setTimeout(resolve, 50));
  process.kill(server.child.pid!, signal);
  const code = await server.exit;
  await sending;
  return { recordingId: started.json.recording.id as string, code };
}

async function finalRecording(url: string, token: string, id: string): Promise<Json> {
  for (;;) {
    const { json } = await api(url, token, 'GET', `/v1/recordings/${id}`);
    const status: string = json.recording.status;
    if (status === 'ready' || status === 'failed') return json.recording;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function downloadAndProcess(recording: Json, work: string): Promise<string> {
  const download = await fetch(recording.files[0].url); // no token: the signed URL
  expect(download.status).toBe(200);
  const zip = path.join(work, 'download.zip');
  await writeFile(zip, new Uint8Array(await download.arrayBuffer()));
  const report = await processAll({ input: { file: zip }, output: path.join(work, 'out') });
  expect(report.failures).toEqual([]);
  const audio = report.outputs.find((o) => o.kind === 'audio_only');
  expect(audio).toBeDefined();
  return audio!.file;
}

describe('a recording whose server is killed (SIGKILL) mid-capture', () => {
  it('is finalized on the next start from what reached the disk, marked interrupted, and processes into clean Opus', async () => {
    const s = await newSession();
    const { recordingId, code } = await recordThenSignal(s, 'SIGKILL');
    expect(code).toBeNull(); // killed, not exited

    const again = await startServe(s.dataDir, s.secret);
    try {
      const recording = await finalRecording(again.url, s.token, recordingId);
      expect(recording.status).toBe('ready');
      expect(recording.parts).toHaveLength(1);
      expect(recording.parts[0]).toMatchObject({ part_number: 1, interrupted: true });
      expect(recording.files).toHaveLength(1);
      const { json } = await api(again.url, s.token, 'GET', '/v1/calls/rtp/c1/events');
      const ready = (json.events as Json[]).filter((e) => e.type === 'call.recording_ready');
      expect(ready).toHaveLength(1);
      expect(ready[0].payload).toMatchObject({ part_number: 1, interrupted: true });

      const work = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
      dirs.push(work);
      const opus = await downloadAndProcess(recording, work);
      const probe = await ffprobe(opus);
      expect(probe.streams.map((st) => st.codec_name)).toEqual(['opus']);
      expect(Number(probe.format.duration)).toBeGreaterThanOrEqual(1);
      expect(await ffmpegDecodeErrors(opus)).toBe('');
    } finally {
      process.kill(again.child.pid!, 'SIGTERM');
      await again.exit;
    }
  }, 120_000);
});

describe('a recording whose server is stopped (SIGTERM) mid-capture', () => {
  it('is finalized by the shutdown (exit 0) and is ready, not interrupted, after a restart', async () => {
    const s = await newSession();
    const { recordingId, code } = await recordThenSignal(s, 'SIGTERM');
    expect(code).toBe(0);

    const again = await startServe(s.dataDir, s.secret);
    try {
      const { json } = await api(again.url, s.token, 'GET', `/v1/recordings/${recordingId}`);
      const recording = json.recording;
      expect(recording.status).toBe('ready');
      expect(recording.parts).toHaveLength(1);
      expect(recording.parts[0]).toMatchObject({ part_number: 1, interrupted: false });

      const work = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
      dirs.push(work);
      const opus = await downloadAndProcess(recording, work);
      expect(Number((await ffprobe(opus)).format.duration)).toBeGreaterThanOrEqual(1);
      expect(await ffmpegDecodeErrors(opus)).toBe('');
    } finally {
      process.kill(again.child.pid!, 'SIGTERM');
      await again.exit;
    }
  }, 120_000);
});
