/**
 * The judge for buildRecordingSdp(): ffmpeg itself. An ffmpeg RTP sender streams to a local
 * port; an ffmpeg receiver reads only the SDP tapedeck wrote and must demux (and for Opus,
 * decode) the stream; ffprobe then reads what the receiver wrote.
 */
import { execFile, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRecordingSdp, type RecordingSdpOptions } from '../../src/sdp/build-recording-sdp.js';

const execFileAsync = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function bind(port: number): Promise<dgram.Socket | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind(port, '127.0.0.1', () => resolve(socket));
  });
}

/** An even UDP port p with p + 1 free too (RTP and RTCP), both on 127.0.0.1. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const first = await bind(0);
    if (!first) continue;
    const port = first.address().port;
    const second = port % 2 === 0 && port < 65535 ? await bind(port + 1) : undefined;
    first.close();
    second?.close();
    if (second) return port;
  }
}

function exited(child: ReturnType<typeof spawn>): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr })));
}

/** Runs the receiver on the SDP until it has what it needs, with a live sender feeding it; returns ffprobe's streams. */
async function receive(
  name: string,
  sdp: Omit<RecordingSdpOptions, 'port'>,
  senderArgs: readonly string[],
  receiverArgs: readonly string[],
  outputName: string,
): Promise<Record<string, unknown>[]> {
  const port = await freePortPair();
  const sdpPath = path.join(dir, `${name}.sdp`);
  const output = path.join(dir, outputName);
  await fs.writeFile(sdpPath, buildRecordingSdp({ ...sdp, port }));
  const receiver = spawn(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-protocol_whitelist',
      'file,udp,rtp',
      '-i',
      sdpPath,
      ...receiverArgs,
      '-y',
      output,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const receiverDone = exited(receiver);
  // The sender runs (paced in real time) until the receiver is done; packets sent before the receiver listens are simply lost.
  const sender = spawn(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-re',
      ...senderArgs,
      '-payload_type',
      String(sdp.payloadType),
      '-ssrc',
      String(sdp.ssrc ?? 1),
      '-f',
      'rtp',
      `rtp://127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const senderDone = exited(sender);
  const result = await receiverDone;
  sender.kill('SIGTERM');
  await senderDone;
  expect(result.code, result.stderr).toBe(0);
  const { stdout } = await execFileAsync('ffprobe', [
    '-v',
    'error',
    '-show_streams',
    '-of',
    'json',
    output,
  ]);
  return (JSON.parse(stdout) as { streams: Record<string, unknown>[] }).streams;
}

describe('ffmpeg reads the SDP buildRecordingSdp() writes', () => {
  it('decodes an Opus stream described by a=rtpmap:111 opus/48000/2 + sprop-stereo=1 to 48 kHz stereo PCM', async () => {
    const streams = await receive(
      'opus',
      {
        kind: 'audio',
        codec: 'opus',
        payloadType: 111,
        clockRate: 48000,
        fmtp: { 'sprop-stereo': '1' },
        ssrc: 0x1234,
      },
      ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=60', '-c:a', 'libopus', '-ac', '2'],
      ['-frames:a', '25'],
      'opus.wav',
    );
    expect(streams).toHaveLength(1);
    expect(streams[0]).toMatchObject({
      codec_name: 'pcm_s16le',
      sample_rate: '48000',
      channels: 2,
    });
  });

  it('demuxes a VP8 stream (with an RTX payload type and FID group in the SDP) to 160x120 VP8', async () => {
    const streams = await receive(
      'vp8',
      {
        kind: 'video',
        codec: 'VP8',
        payloadType: 96,
        clockRate: 90000,
        rtx: { payloadType: 97, ssrc: 0x5678 },
        ssrc: 0x1234,
      },
      [
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=160x120:rate=10:duration=60',
        '-c:v',
        'libvpx',
        '-g',
        '5',
        '-deadline',
        'realtime',
      ],
      ['-frames:v', '12', '-c', 'copy'],
      'vp8.mkv',
    );
    expect(streams[0]).toMatchObject({ codec_name: 'vp8', width: 160, height: 120 });
  });

  it('demuxes an H264 stream described with packetization-mode=1 (parameter sets in-band) to 160x120 H264', async () => {
    const streams = await receive(
      'h264',
      {
        kind: 'video',
        codec: 'H264',
        payloadType: 102,
        clockRate: 90000,
        fmtp: { 'packetization-mode': '1' },
        ssrc: 0x4321,
      },
      [
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=160x120:rate=10:duration=60',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-tune',
        'zerolatency',
        '-g',
        '5',
        '-pix_fmt',
        'yuv420p',
      ],
      ['-frames:v', '12', '-c', 'copy'],
      'h264.mkv',
    );
    expect(streams[0]).toMatchObject({ codec_name: 'h264', width: 160, height: 120 });
  });
});
