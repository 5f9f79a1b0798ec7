/**
 * Real fixtures: ffmpeg (5.1) encodes a test pattern and sends it as RTP to a loopback socket
 * bound by the test; the packets go through the reorder buffer and the depacketizer, and
 * the frames are written back to a file that ffmpeg must decode without a single error.
 * AV1 RTP is not in ffmpeg 5.1: its OBU output is packetized by a small test packetizer.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDepacketizer } from '../../../src/media/depacketize/index.js';
import { ReorderBuffer } from '../../../src/media/reorder/reorder-buffer.js';
import type {
  CodecName,
  Depacketizer,
  EncodedFrame,
  OrderedPacket,
} from '../../../src/media/types.js';
import {
  annexB,
  av1File,
  av1TemporalUnits,
  captureFfmpegRtp,
  decodeErrors,
  packetizeAv1,
  writeIvf,
} from './helpers/media-files.js';
import { parseRtpForTest, rtp } from './helpers/rtp.js';

const execFileAsync = promisify(execFile);
const SOURCE = ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10', '-t', '1'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Run = { frames: EncodedFrame[]; depacketizer: Depacketizer; packets: number };

/** Raw datagrams → RTP → ReorderBuffer → depacketizer; `drop` removes packets by arrival index. */
function depacketize(
  codec: CodecName,
  datagrams: readonly Uint8Array[],
  drop: readonly number[] = [],
): Run {
  const reorder = new ReorderBuffer({ maxDelayPackets: 8 });
  const depacketizer = createDepacketizer(codec);
  const frames: EncodedFrame[] = [];
  const feed = (ordered: OrderedPacket[]): void => {
    for (const p of ordered) frames.push(...depacketizer.push(p));
  };
  datagrams.forEach((d, i) => {
    if (!drop.includes(i)) feed(reorder.push({ packet: parseRtpForTest(d), arrivalMs: i }));
  });
  feed(reorder.flush());
  frames.push(...depacketizer.flush());
  return { frames, depacketizer, packets: datagrams.length };
}

/** Arrival index of the second packet of the first multi-packet non-key frame. */
function packetInInterFrame(
  datagrams: readonly Uint8Array[],
  frames: readonly EncodedFrame[],
): number {
  const keyTs = new Set(frames.filter((f) => f.keyframe).map((f) => f.timestampTicks >>> 0));
  const parsed = datagrams.map(parseRtpForTest);
  for (let i = 1; i < parsed.length; i++) {
    const [prev, cur] = [parsed[i - 1]!, parsed[i]!];
    if (prev.timestamp === cur.timestamp && !keyTs.has(cur.timestamp)) return i;
  }
  throw new Error('no multi-packet inter frame in the capture');
}

async function writeAndDecode(name: string, bytes: Uint8Array, format?: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return decodeErrors(file, format);
}

describe('depacketizing ffmpeg RTP output', () => {
  it('VP8 (libvpx): 10 frames, first a 320x240 keyframe, IVF decodes cleanly; a lost packet skips to the next keyframe', async () => {
    const datagrams = await captureFfmpegRtp(
      [...SOURCE, '-c:v', 'libvpx', '-g', '5', '-b:v', '400k'],
      200,
    );
    const run = depacketize('VP8', datagrams);
    expect(run.frames).toHaveLength(10);
    expect(run.frames[0]).toMatchObject({ keyframe: true, width: 320, height: 240 });
    expect(run.depacketizer.stats).toMatchObject({
      framesDropped: 0,
      framesSkippedUntilKeyframe: 0,
    });
    expect(await writeAndDecode('vp8.ivf', writeIvf(run.frames, 'VP80', 320, 240))).toBe('');

    const lossy = depacketize('VP8', datagrams, [packetInInterFrame(datagrams, run.frames)]);
    expect(lossy.depacketizer.stats.framesDropped).toBe(1);
    expect(lossy.frames.length).toBeLessThan(10);
    expect(await writeAndDecode('vp8-loss.ivf', writeIvf(lossy.frames, 'VP80', 320, 240))).toBe('');
  });

  it('VP9 (libvpx-vp9): 10 frames, first a 320x240 keyframe, IVF decodes cleanly', async () => {
    const datagrams = await captureFfmpegRtp(
      [
        ...SOURCE,
        '-c:v',
        'libvpx-vp9',
        '-g',
        '5',
        '-b:v',
        '400k',
        '-deadline',
        'realtime',
        '-strict',
        'experimental',
      ],
      200,
    );
    const run = depacketize('VP9', datagrams);
    expect(run.frames).toHaveLength(10);
    expect(run.frames[0]).toMatchObject({ keyframe: true, width: 320, height: 240 });
    expect(run.frames.filter((f) => f.keyframe).map((f) => run.frames.indexOf(f))).toEqual([0, 5]);
    expect(await writeAndDecode('vp9.ivf', writeIvf(run.frames, 'VP90', 320, 240))).toBe('');

    const lossy = depacketize('VP9', datagrams, [packetInInterFrame(datagrams, run.frames)]);
    expect(lossy.depacketizer.stats.framesDropped).toBe(1);
    expect(await writeAndDecode('vp9-loss.ivf', writeIvf(lossy.frames, 'VP90', 320, 240))).toBe('');
  });

  it('H264 (libx264, packetization-mode 1): 10 access units, first a 320x240 IDR with config record, Annex B decodes cleanly', async () => {
    const datagrams = await captureFfmpegRtp(
      [...SOURCE, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', '5'],
      200,
    );
    const run = depacketize('H264', datagrams);
    expect(run.frames).toHaveLength(10);
    expect(run.frames[0]).toMatchObject({ keyframe: true, width: 320, height: 240 });
    expect(run.depacketizer.codecDescription).toBeInstanceOf(Uint8Array);
    expect(run.frames[0]!.codecDescription).toBe(run.depacketizer.codecDescription);
    const file = annexB(run.frames);
    expect(await writeAndDecode('h264.h264', file)).toBe('');
    const { stdout } = await execFileAsync('ffprobe', [
      '-v',
      'error',
      '-count_frames',
      '-show_entries',
      'stream=width,height,nb_read_frames',
      '-of',
      'csv=p=0',
      path.join(dir, 'h264.h264'),
    ]);
    expect(stdout.trim()).toBe('320,240,10');

    const lossy = depacketize('H264', datagrams, [packetInInterFrame(datagrams, run.frames)]);
    expect(lossy.depacketizer.stats.framesDropped).toBe(1);
    expect(await writeAndDecode('h264-loss.h264', annexB(lossy.frames))).toBe('');
  });

  it('Opus (libopus): one frame per packet, 20 ms = 960 ticks each', async () => {
    const datagrams = await captureFfmpegRtp(
      ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'libopus'],
      1200,
    );
    const run = depacketize('opus', datagrams);
    expect(run.frames.length).toBe(datagrams.length);
    expect(run.frames.length).toBeGreaterThanOrEqual(50);
    expect(new Set(run.frames.map((f) => f.durationTicks))).toEqual(new Set([960]));
  });

  it('AV1 (libaom, test packetizer with fragments): 10 temporal units, first a 320x240 key frame, OBU file decodes cleanly', async () => {
    const source = path.join(dir, 'source.obu');
    await execFileAsync('ffmpeg', [
      '-v',
      'error',
      ...SOURCE,
      '-c:v',
      'libaom-av1',
      '-cpu-used',
      '8',
      '-crf',
      '20',
      '-g',
      '5',
      '-f',
      'obu',
      source,
    ]);
    const units = av1TemporalUnits(new Uint8Array(await readFile(source)));
    expect(units).toHaveLength(10);
    const packets: OrderedPacket[] = [];
    units.forEach((unit, u) => {
      const payloads = packetizeAv1(unit, 300);
      payloads.forEach((payload, i) => {
        const seq = packets.length;
        packets.push({
          packet: rtp({
            sequenceNumber: seq,
            timestamp: u * 9000,
            marker: i === payloads.length - 1,
            payload,
          }),
          extSeq: seq,
          extTimestamp: u * 9000,
          arrivalMs: seq,
        });
      });
    });
    expect(packets.length).toBeGreaterThan(units.length);
    const d = createDepacketizer('AV1');
    const frames = [...packets.flatMap((p) => d.push(p)), ...d.flush()];
    expect(frames).toHaveLength(10);
    expect(frames[0]).toMatchObject({ keyframe: true, width: 320, height: 240 });
    expect(await writeAndDecode('av1.obu', av1File(frames), 'obu')).toBe('');
  });
});
