import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TapedeckError } from '../../src/errors.js';
import {
  MediaFileWriter,
  type MediaFileResult,
  type TrackSpec,
} from '../../src/media/mux/media-writer.js';
import { opusPacketInfo } from '../../src/media/opus/toc.js';
import {
  ffmpeg,
  ffmpegDecodeErrors,
  ffprobe,
  makeTempDir,
  readTracks,
  removeDir,
  type ReadTrack,
} from './mux-helpers.js';

let dir: string;
const src: Record<string, ReadTrack> = {};

beforeAll(async () => {
  dir = await makeTempDir();
  const lavfiVideo = [
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=320x240:rate=25:duration=2',
    '-pix_fmt',
    'yuv420p',
    '-g',
    '25',
  ];
  const made: [string, string[]][] = [
    [
      'opus.webm',
      ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', '-c:a', 'libopus', '-f', 'webm'],
    ],
    [
      'stereo.webm',
      [
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:duration=3',
        '-ac',
        '2',
        '-c:a',
        'libopus',
        '-f',
        'webm',
      ],
    ],
    ['vp8.webm', [...lavfiVideo, '-c:v', 'libvpx', '-f', 'webm']],
    [
      'vp9.webm',
      [
        ...lavfiVideo,
        '-c:v',
        'libvpx-vp9',
        '-deadline',
        'realtime',
        '-cpu-used',
        '8',
        '-f',
        'webm',
      ],
    ],
    // Baseline, no B-frames: what WebRTC senders produce. mp4 gives the avcC.
    [
      'h264.mp4',
      [...lavfiVideo, '-c:v', 'libx264', '-profile:v', 'baseline', '-bf', '0', '-f', 'mp4'],
    ],
    ['av1.webm', [...lavfiVideo, '-c:v', 'libaom-av1', '-cpu-used', '8', '-f', 'webm']],
  ];
  for (const [name, args] of made) {
    await ffmpeg(...args, path.join(dir, name));
    const track = (await readTracks(path.join(dir, name)))[0];
    if (track === undefined) throw new Error(`ffmpeg made no track in ${name}`);
    src[name] = track;
  }
});

afterAll(async () => {
  await removeDir(dir);
});

type Frame = {
  track: number;
  data: Uint8Array;
  timestampSeconds: number;
  durationSeconds?: number;
  keyframe: boolean;
};

/** Opus packets on an RTP-like clock: each starts where the previous one ended (TOC duration). */
function opusFrames(track: ReadTrack, index: number): Frame[] {
  let samples = 0;
  return track.packets.map((p) => {
    const n = opusPacketInfo(p.data)?.durationSamples48k ?? 960;
    const frame = {
      track: index,
      data: p.data,
      timestampSeconds: samples / 48000,
      durationSeconds: n / 48000,
      keyframe: true,
    };
    samples += n;
    return frame;
  });
}

function videoFrames(track: ReadTrack, index: number): Frame[] {
  return track.packets.map((p) => ({
    track: index,
    data: p.data,
    timestampSeconds: p.timestamp,
    keyframe: p.key,
  }));
}

function specOf(track: ReadTrack, codec: 'VP8' | 'VP9' | 'H264' | 'AV1' | 'opus'): TrackSpec {
  if (codec === 'opus')
    return { kind: 'audio', codec, sampleRate: 48000, channels: track.channels };
  const spec = { kind: 'video' as const, codec, width: track.width, height: track.height };
  return codec === 'H264' && track.description !== undefined
    ? { ...spec, description: track.description }
    : spec;
}

/** Writes the frames of all tracks merged in timestamp order, as the pipeline feeds them. */
async function write(
  file: string,
  container: 'mkv' | 'webm',
  tracks: TrackSpec[],
  frames: Frame[],
): Promise<MediaFileResult> {
  const writer = await MediaFileWriter.create({ path: file, container, tracks });
  const ordered = [...frames].sort(
    (a, b) => a.timestampSeconds - b.timestampSeconds || a.track - b.track,
  );
  for (const { track, ...frame } of ordered) await writer.writeFrame(track, frame);
  return writer.finalize();
}

async function expectCleanDecode(file: string): Promise<void> {
  expect(await ffmpegDecodeErrors(file)).toBe('');
}

describe('MediaFileWriter', () => {
  it.each(['mkv', 'webm'] as const)(
    'writes ffmpeg Opus packets to %s: ffprobe sees one 48 kHz mono opus stream of 3.02 s',
    async (container) => {
      const opus = src['opus.webm']!;
      const file = path.join(dir, `opus.${container}`);
      const result = await write(file, container, [specOf(opus, 'opus')], opusFrames(opus, 0));
      const probe = await ffprobe(file);
      expect(probe.streams).toHaveLength(1);
      expect(probe.streams[0]).toMatchObject({
        codec_type: 'audio',
        codec_name: 'opus',
        sample_rate: '48000',
        channels: 1,
      });
      expect(Math.abs(Number(probe.format.duration) - 3.02)).toBeLessThan(0.1);
      expect(Math.abs(Number(probe.format.duration) - result.durationSeconds)).toBeLessThan(0.002);
      expect(result.tracks[0]).toMatchObject({
        framesWritten: opus.packets.length,
        droppedBackwards: 0,
        droppedBeforeKeyframe: 0,
      });
      await expectCleanDecode(file);
      const back = await readTracks(file);
      expect(back).toHaveLength(1);
      expect(back[0]!.packets).toHaveLength(opus.packets.length);
      expect(back[0]!.packets[10]!.data).toEqual(opus.packets[10]!.data);
    },
  );

  it('writes a stereo Opus track that ffprobe reads as 2 channels', async () => {
    const opus = src['stereo.webm']!;
    const file = path.join(dir, 'stereo.mkv');
    await write(file, 'mkv', [specOf(opus, 'opus')], opusFrames(opus, 0));
    expect((await ffprobe(file)).streams[0]).toMatchObject({ codec_name: 'opus', channels: 2 });
    await expectCleanDecode(file);
  });

  const videoCases = [
    ['VP8', 'vp8.webm', 'webm', 'vp8'],
    ['VP9', 'vp9.webm', 'webm', 'vp9'],
    ['AV1', 'av1.webm', 'webm', 'av1'],
    ['H264', 'h264.mp4', 'mkv', 'h264'],
    ['VP8', 'vp8.webm', 'mkv', 'vp8'],
  ] as const;

  it.each(videoCases)(
    'writes ffmpeg %s frames (%s) to %s: ffprobe sees %s 320x240 of 2.0 s, all 50 frames',
    async (codec, name, container, probed) => {
      const video = src[name]!;
      const file = path.join(dir, `${name}.${container}`);
      const result = await write(file, container, [specOf(video, codec)], videoFrames(video, 0));
      const probe = await ffprobe(file);
      expect(probe.streams).toHaveLength(1);
      expect(probe.streams[0]).toMatchObject({
        codec_type: 'video',
        codec_name: probed,
        width: 320,
        height: 240,
      });
      expect(Math.abs(Number(probe.format.duration) - 2.0)).toBeLessThan(0.1);
      expect(result.tracks[0]!.framesWritten).toBe(50);
      await expectCleanDecode(file);
      const back = await readTracks(file);
      expect(back[0]!.packets).toHaveLength(50);
      expect(back[0]!.packets.filter((p) => p.key)).toHaveLength(2);
    },
  );

  it.each([
    ['mkv', 'H264', 'h264.mp4', 'h264'],
    ['webm', 'VP8', 'vp8.webm', 'vp8'],
  ] as const)(
    'writes an A/V %s with Opus and %s: two streams, duration the longer track',
    async (container, codec, name, probed) => {
      const opus = src['opus.webm']!;
      const video = src[name]!;
      const file = path.join(dir, `av-${codec}.${container}`);
      const frames = [...opusFrames(opus, 0), ...videoFrames(video, 1)];
      const result = await write(
        file,
        container,
        [specOf(opus, 'opus'), specOf(video, codec)],
        frames,
      );
      const probe = await ffprobe(file);
      expect(probe.streams.map((s) => s.codec_name).sort()).toEqual(['opus', probed].sort());
      expect(probe.streams.find((s) => s.codec_type === 'video')).toMatchObject({
        width: 320,
        height: 240,
      });
      expect(Math.abs(Number(probe.format.duration) - 3.02)).toBeLessThan(0.1);
      expect(result.tracks.map((t) => t.framesWritten)).toEqual([opus.packets.length, 50]);
      await expectCleanDecode(file);
      const back = await readTracks(file);
      expect(back.map((t) => t.packets.length).sort((a, b) => a - b)).toEqual([
        50,
        opus.packets.length,
      ]);
    },
  );

  it('endTrack() ends one track early so the other flows on, and refuses later frames for it', async () => {
    const opus = src['opus.webm']!;
    const video = src['vp8.webm']!;
    const file = path.join(dir, 'ended.webm');
    const writer = await MediaFileWriter.create({
      path: file,
      container: 'webm',
      tracks: [specOf(opus, 'opus'), specOf(video, 'VP8')],
    });
    for (const { track: _t, ...frame } of videoFrames(video, 1)) await writer.writeFrame(1, frame);
    await writer.endTrack(1);
    await expect(
      writer.writeFrame(1, { data: new Uint8Array(1), timestampSeconds: 3, keyframe: true }),
    ).rejects.toThrow(/endTrack/);
    for (const { track: _t, ...frame } of opusFrames(opus, 0)) await writer.writeFrame(0, frame);
    const result = await writer.finalize();
    expect(result.tracks.map((t) => t.framesWritten)).toEqual([opus.packets.length, 50]);
    expect((await ffprobe(file)).streams).toHaveLength(2);
    await expectCleanDecode(file);
  });

  it('writing the same frames twice gives byte-identical files', async () => {
    const frames = [...opusFrames(src['opus.webm']!, 0), ...videoFrames(src['vp8.webm']!, 1)];
    const tracks = [specOf(src['opus.webm']!, 'opus'), specOf(src['vp8.webm']!, 'VP8')];
    await write(path.join(dir, 'same-1.mkv'), 'mkv', tracks, frames);
    await write(path.join(dir, 'same-2.mkv'), 'mkv', tracks, frames);
    const [a, b] = await Promise.all([
      readFile(path.join(dir, 'same-1.mkv')),
      readFile(path.join(dir, 'same-2.mkv')),
    ]);
    expect(a.equals(b)).toBe(true);
  });

  it('drops and counts video frames before the first keyframe; the file starts at that keyframe', async () => {
    const video = src['vp8.webm']!; // keyframes at 0 s and 1 s (-g 25)
    const file = path.join(dir, 'late-key.webm');
    const frames = videoFrames(video, 0).slice(5);
    const result = await write(file, 'webm', [specOf(video, 'VP8')], frames);
    expect(result.tracks[0]).toMatchObject({ droppedBeforeKeyframe: 20, framesWritten: 25 });
    await expectCleanDecode(file);
    const back = await readTracks(file);
    expect(back[0]!.packets).toHaveLength(25);
    expect(back[0]!.packets[0]).toMatchObject({ key: true, timestamp: 1 });
  });

  it('clamps a 2 ms step back and drops and counts a 0.5 s step back', async () => {
    const opus = src['opus.webm']!;
    const frames = opusFrames(opus, 0);
    const jittered = frames.map((f, i) =>
      i === 40 ? { ...f, timestampSeconds: f.timestampSeconds - 0.022 } : f,
    );
    const stale = { ...frames[60]!, timestampSeconds: frames[60]!.timestampSeconds - 0.5 };
    const file = path.join(dir, 'jitter.mkv');
    const writer = await MediaFileWriter.create({
      path: file,
      container: 'mkv',
      tracks: [specOf(opus, 'opus')],
    });
    for (const [i, { track: _t, ...frame }] of jittered.entries()) {
      await writer.writeFrame(0, frame);
      if (i === 70) await writer.writeFrame(0, stale);
    }
    const result = await writer.finalize();
    expect(result.tracks[0]).toMatchObject({
      clampedJitter: 1,
      droppedBackwards: 1,
      framesWritten: frames.length,
    });
    await expectCleanDecode(file);
    expect((await readTracks(file))[0]!.packets).toHaveLength(frames.length);
  });

  it('builds the H264 avcC from SPS/PPS carried in-band in the first keyframe', async () => {
    const video = src['h264.mp4']!;
    const avcC = video.description!;
    // SPS and PPS out of the mp4's avcC, prefixed to the first access unit with 4-byte lengths.
    const spsLength = (avcC[6]! << 8) | avcC[7]!;
    const sps = avcC.subarray(8, 8 + spsLength);
    const ppsAt = 8 + spsLength + 1;
    const pps = avcC.subarray(ppsAt + 2, ppsAt + 2 + ((avcC[ppsAt]! << 8) | avcC[ppsAt + 1]!));
    const prefix = (nal: Uint8Array): Uint8Array =>
      new Uint8Array([0, 0, nal.length >> 8, nal.length & 0xff, ...nal]);
    const frames = videoFrames(video, 0);
    frames[0] = {
      ...frames[0]!,
      data: new Uint8Array([...prefix(sps), ...prefix(pps), ...frames[0]!.data]),
    };
    const file = path.join(dir, 'inband.mkv');
    await write(file, 'mkv', [{ kind: 'video', codec: 'H264', width: 320, height: 240 }], frames);
    expect((await ffprobe(file)).streams[0]).toMatchObject({
      codec_name: 'h264',
      profile: 'Constrained Baseline',
      width: 320,
    });
    await expectCleanDecode(file);
    // Baseline profile: the avcC has no extension, so the rebuilt one equals the mp4's.
    expect((await readTracks(file))[0]!.description).toEqual(avcC);
  });

  it('leaves out a track that got no frames and fails with MEDIA_ERROR when none got any', async () => {
    const opus = src['opus.webm']!;
    const file = path.join(dir, 'no-video.mkv');
    const writer = await MediaFileWriter.create({
      path: file,
      container: 'mkv',
      tracks: [specOf(opus, 'opus'), { kind: 'video', codec: 'H264', width: 320, height: 240 }],
    });
    for (const { track: _t, ...frame } of opusFrames(opus, 0)) await writer.writeFrame(0, frame);
    // A keyframe without SPS/PPS and no avcC anywhere cannot start the track.
    await writer.writeFrame(1, {
      data: new Uint8Array([0, 0, 0, 2, 0x65, 0x88]),
      timestampSeconds: 0,
      keyframe: true,
    });
    const result = await writer.finalize();
    expect(result.tracks[1]).toMatchObject({ framesWritten: 0, droppedBeforeKeyframe: 1 });
    expect((await ffprobe(file)).streams.map((s) => s.codec_name)).toEqual(['opus']);

    const emptyFile = path.join(dir, 'empty.mkv');
    const empty = await MediaFileWriter.create({
      path: emptyFile,
      container: 'mkv',
      tracks: [specOf(opus, 'opus')],
    });
    await expect(empty.finalize()).rejects.toMatchObject({ code: 'MEDIA_ERROR' });
    expect((await readdir(dir)).filter((f) => f.includes('empty.mkv'))).toEqual([]);
  });

  it("rejects H264 in webm with TypeError('container webm cannot carry H264; use mkv')", async () => {
    await expect(
      MediaFileWriter.create({
        path: path.join(dir, 'x.webm'),
        container: 'webm',
        tracks: [{ kind: 'video', codec: 'H264', width: 2, height: 2 }],
      }),
    ).rejects.toThrow(new TypeError('container webm cannot carry H264; use mkv'));
  });

  it('rejects bad options and frames with TypeError/RangeError naming the field', async () => {
    const base = { path: path.join(dir, 'bad.mkv'), container: 'mkv' as const };
    await expect(MediaFileWriter.create({ ...base, tracks: [] })).rejects.toThrow(/options.tracks/);
    await expect(
      MediaFileWriter.create({
        ...base,
        tracks: [{ kind: 'audio', codec: 'opus', sampleRate: 44100, channels: 1 }],
      }),
    ).rejects.toThrow(/options.tracks\[0\].sampleRate/);
    await expect(
      MediaFileWriter.create({
        ...base,
        tracks: [
          { kind: 'video', codec: 'H264', width: 2, height: 2, description: new Uint8Array(3) },
        ],
      }),
    ).rejects.toThrow(/options.tracks\[0\].description/);
    const writer = await MediaFileWriter.create({
      ...base,
      tracks: [{ kind: 'audio', codec: 'opus', sampleRate: 48000, channels: 1 }],
    });
    await expect(
      writer.writeFrame(1, { data: new Uint8Array(1), timestampSeconds: 0, keyframe: true }),
    ).rejects.toThrow(RangeError);
    await expect(
      writer.writeFrame(0, {
        data: new Uint8Array(1),
        timestampSeconds: Number.NaN,
        keyframe: true,
      }),
    ).rejects.toThrow(/timestampSeconds/);
    await writer.abort();
  });

  it('abort() deletes the partial file, and a finalized file leaves no temporary file behind', async () => {
    const sub = await makeTempDir();
    try {
      const opus = src['opus.webm']!;
      const writer = await MediaFileWriter.create({
        path: path.join(sub, 'a.mkv'),
        container: 'mkv',
        tracks: [specOf(opus, 'opus')],
      });
      for (const { track: _t, ...frame } of opusFrames(opus, 0).slice(0, 50))
        await writer.writeFrame(0, frame);
      expect(await readdir(sub)).toHaveLength(1);
      await writer.abort();
      await writer.abort();
      expect(await readdir(sub)).toEqual([]);
      await expect(
        writer.writeFrame(0, { data: new Uint8Array(1), timestampSeconds: 9, keyframe: true }),
      ).rejects.toMatchObject({ code: 'ABORTED' });

      await write(path.join(sub, 'b.mkv'), 'mkv', [specOf(opus, 'opus')], opusFrames(opus, 0));
      expect(await readdir(sub)).toEqual(['b.mkv']);
    } finally {
      await removeDir(sub);
    }
  });

  it('an aborted signal deletes the partial file and fails later calls with ABORTED', async () => {
    const sub = await makeTempDir();
    try {
      const controller = new AbortController();
      const opus = src['opus.webm']!;
      const writer = await MediaFileWriter.create({
        path: path.join(sub, 'a.mkv'),
        container: 'mkv',
        tracks: [specOf(opus, 'opus')],
        signal: controller.signal,
      });
      for (const { track: _t, ...frame } of opusFrames(opus, 0).slice(0, 10))
        await writer.writeFrame(0, frame);
      controller.abort();
      const error: unknown = await writer.finalize().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TapedeckError);
      expect(error).toMatchObject({ code: 'ABORTED' });
      await writer.abort();
      expect(await readdir(sub)).toEqual([]);
    } finally {
      await removeDir(sub);
    }
  });
});
