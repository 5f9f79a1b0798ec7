import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioMixer } from '../../src/media/audio/mixer.js';
import { Mp3FileWriter, writeMp3, type Mp3FileResult } from '../../src/media/audio/mp3-writer.js';
import { decodeOpusStream, type OpusPacket } from '../../src/media/audio/opus-decode.js';
import {
  decodeToMonoPcm,
  ffmpeg,
  ffmpegDecodeErrors,
  ffprobe,
  makeTempDir,
  readTracks,
  removeDir,
  tonePower,
} from './mux-helpers.js';

let dir: string;
let tone440: OpusPacket[];
let tone880: OpusPacket[];

const SECOND = 48_000;
const LATE_START = 1.5 * SECOND;

async function opusTone(frequency: number): Promise<OpusPacket[]> {
  const file = path.join(dir, `${frequency}.webm`);
  // Full scale (amplitude 1), so the two summed reach ~2 and must be limited.
  await ffmpeg(
    '-f',
    'lavfi',
    '-i',
    `aevalsrc=sin(2*PI*${frequency}*t):s=48000:d=3`,
    '-c:a',
    'libopus',
    '-b:a',
    '64k',
    '-f',
    'webm',
    file,
  );
  const packets = (await readTracks(file))[0]!.packets;
  return packets.map((p, i) => ({ data: p.data, timestampSamples: i * 960 }));
}

/** 440 Hz from 0 s, 880 Hz from 1.5 s: decode both, mix, encode. */
async function mixToMp3(file: string): Promise<{ result: Mp3FileResult; mixer: AudioMixer }> {
  const a = decodeOpusStream(tone440, { channels: 1 });
  const b = decodeOpusStream(tone880, { channels: 1 });
  const mixer = new AudioMixer({
    channels: 1,
    inputs: [
      { startFrames: 0, blocks: a.blocks },
      { startFrames: LATE_START, blocks: b.blocks },
    ],
  });
  const result = await writeMp3(mixer, { path: file, channels: 1 });
  return { result, mixer };
}

beforeAll(async () => {
  dir = await makeTempDir();
  tone440 = await opusTone(440);
  tone880 = await opusTone(880);
});

afterAll(async () => {
  await removeDir(dir);
});

describe('mixing two Opus streams into an MP3', () => {
  it('gives a 128 kbps mono 48 kHz MP3 as long as the later stream ends, 440 Hz alone before 1.5 s, both after, never above full scale', async () => {
    const file = path.join(dir, 'mix.mp3');
    const { result, mixer } = await mixToMp3(file);
    const end = LATE_START + tone880.length * 960;
    expect(result.frames).toBe(end);
    expect(mixer.stats.peakBeforeLimit).toBeGreaterThan(1.5);

    const probe = await ffprobe(file);
    expect(probe.streams).toHaveLength(1);
    expect(probe.streams[0]).toMatchObject({
      codec_name: 'mp3',
      sample_rate: '48000',
      channels: 1,
    });
    // ffprobe derives the rate from size and duration (the Xing frame included): within 1%.
    expect(
      Math.abs(Number((probe.streams[0] as { bit_rate?: string }).bit_rate) - 128_000),
    ).toBeLessThan(1280);
    expect(Math.abs(Number(probe.format.duration) - end / SECOND)).toBeLessThan(0.1);
    expect(await ffmpegDecodeErrors(file)).toBe('');

    const pcm = await decodeToMonoPcm(file);
    const before = [0.2 * SECOND, 1.3 * SECOND] as const;
    const after = [1.8 * SECOND, 4.2 * SECOND] as const;
    expect(tonePower(pcm, ...before, 440)).toBeGreaterThan(0.05);
    expect(tonePower(pcm, ...before, 880)).toBeLessThan(tonePower(pcm, ...before, 440) / 1000);
    expect(tonePower(pcm, ...after, 440)).toBeGreaterThan(0.02);
    expect(tonePower(pcm, ...after, 880)).toBeGreaterThan(0.02);
    let peak = 0;
    for (const x of pcm) peak = Math.max(peak, Math.abs(x));
    expect(peak).toBeGreaterThan(0.5);
    expect(peak).toBeLessThanOrEqual(1);
  });

  it('writing the same mix twice gives byte-identical MP3s', async () => {
    await mixToMp3(path.join(dir, 'same-1.mp3'));
    await mixToMp3(path.join(dir, 'same-2.mp3'));
    const [a, b] = await Promise.all([
      readFile(path.join(dir, 'same-1.mp3')),
      readFile(path.join(dir, 'same-2.mp3')),
    ]);
    expect(a.equals(b)).toBe(true);
  });
});

describe('Mp3FileWriter', () => {
  it('writes stereo at a chosen bitrate, duplicating mono blocks', async () => {
    const file = path.join(dir, 'stereo.mp3');
    const writer = await Mp3FileWriter.create({ path: file, channels: 2, bitrateKbps: 64 });
    const tone = new Float32Array(SECOND);
    for (let i = 0; i < tone.length; i++)
      tone[i] = 0.5 * Math.sin((2 * Math.PI * 1000 * i) / SECOND);
    await writer.write({ channelData: [tone] });
    await writer.write({ channelData: [tone, tone] });
    const result = await writer.finish();
    expect(result).toMatchObject({ path: file, frames: 2 * SECOND, durationSeconds: 2 });
    const probe = await ffprobe(file);
    expect(probe.streams[0]).toMatchObject({ codec_name: 'mp3', channels: 2 });
    expect(
      Math.abs(Number((probe.streams[0] as { bit_rate?: string }).bit_rate) - 64_000),
    ).toBeLessThan(640);
    expect(Math.abs(Number(probe.format.duration) - 2)).toBeLessThan(0.1);
  });

  it('abort() deletes the partial file; finish() leaves only the final file', async () => {
    const sub = await makeTempDir();
    try {
      const writer = await Mp3FileWriter.create({ path: path.join(sub, 'a.mp3') });
      await writer.write({ channelData: [new Float32Array(SECOND)] });
      expect(await readdir(sub)).toHaveLength(1);
      await writer.abort();
      expect(await readdir(sub)).toEqual([]);
      await expect(writer.write({ channelData: [new Float32Array(10)] })).rejects.toMatchObject({
        code: 'ABORTED',
      });

      await writeMp3([{ channelData: [new Float32Array(SECOND)] }], {
        path: path.join(sub, 'b.mp3'),
      });
      expect(await readdir(sub)).toEqual(['b.mp3']);
    } finally {
      await removeDir(sub);
    }
  });

  it('rejects bad options with RangeError naming the option', async () => {
    await expect(
      Mp3FileWriter.create({ path: path.join(dir, 'x.mp3'), bitrateKbps: 500 }),
    ).rejects.toThrow(/options.bitrateKbps/);
    await expect(
      Mp3FileWriter.create({ path: path.join(dir, 'x.mp3'), sampleRate: 96_000 }),
    ).rejects.toThrow(/options.sampleRate/);
  });
});
