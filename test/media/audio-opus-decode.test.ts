import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  decodeOpusStream,
  OpusStreamDecoder,
  type OpusPacket,
} from '../../src/media/audio/opus-decode.js';
import { blockFrames, type PcmBlock } from '../../src/media/audio/pcm-block.js';
import { ffmpeg, makeTempDir, readTracks, removeDir, tonePower } from './mux-helpers.js';

let dir: string;
let mono: OpusPacket[];
let stereo: OpusPacket[];

/** Packets stamped like RTP: each 20 ms packet 960 ticks after the previous. */
const stamp = (data: Uint8Array[]): OpusPacket[] =>
  data.map((d, i) => ({ data: d, timestampSamples: 10_000 + i * 960 }));

beforeAll(async () => {
  dir = await makeTempDir();
  await ffmpeg(
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:duration=3',
    '-c:a',
    'libopus',
    '-f',
    'webm',
    path.join(dir, 'mono.webm'),
  );
  await ffmpeg(
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
    path.join(dir, 'stereo.webm'),
  );
  mono = stamp((await readTracks(path.join(dir, 'mono.webm')))[0]!.packets.map((p) => p.data));
  stereo = stamp((await readTracks(path.join(dir, 'stereo.webm')))[0]!.packets.map((p) => p.data));
});

afterAll(async () => {
  await removeDir(dir);
});

async function collect(blocks: AsyncIterable<PcmBlock>): Promise<Float32Array[]> {
  const planes: number[][] = [];
  for await (const block of blocks) {
    block.channelData.forEach((plane, c) => {
      planes[c] ??= [];
      for (const x of plane) planes[c].push(x);
    });
  }
  return planes.map((p) => Float32Array.from(p));
}

describe('decodeOpusStream()', () => {
  it('decodes ffmpeg Opus packets sample-exactly: 151 packets give 151 x 960 stereo frames of a 440 Hz tone', async () => {
    const { blocks, stats } = decodeOpusStream(mono);
    const [left, right] = await collect(blocks);
    expect(left).toHaveLength(mono.length * 960);
    expect(right).toEqual(left);
    expect(stats).toMatchObject({
      packets: mono.length,
      decodedSamples: mono.length * 960,
      concealedSamples: 0,
      silenceSamples: 0,
    });
    expect(tonePower(left!, 4800, 100_000, 440)).toBeGreaterThan(
      100 * tonePower(left!, 4800, 100_000, 1000),
    );
  });

  it('downmixes stereo packets when configured for one channel', async () => {
    const planes = await collect(decodeOpusStream(stereo, { channels: 1 }).blocks);
    expect(planes).toHaveLength(1);
    expect(planes[0]).toHaveLength(stereo.length * 960);
  });

  it('conceals one lost packet with 960 samples of PLC, keeping the length', async () => {
    const { blocks, stats } = decodeOpusStream(
      mono.filter((_, i) => i !== 50),
      { channels: 1 },
    );
    const [pcm] = await collect(blocks);
    expect(pcm).toHaveLength(mono.length * 960);
    expect(stats).toMatchObject({ concealedSamples: 960, silenceSamples: 0 });
  });

  it('fills a 2 s loss with 120 ms of concealment, then silence, keeping the timeline', async () => {
    const { blocks, stats } = decodeOpusStream(
      mono.filter((_, i) => i < 50 || i >= 150),
      { channels: 1 },
    );
    const [pcm] = await collect(blocks);
    expect(pcm).toHaveLength(mono.length * 960);
    expect(stats).toMatchObject({ concealedSamples: 5760, silenceSamples: 100 * 960 - 5760 });
    expect(pcm!.subarray(50 * 960 + 5760, 150 * 960).every((x) => x === 0)).toBe(true);
  });

  it('drops a duplicate packet and trims one that overlaps what was already produced', async () => {
    const overlap = { data: mono[11]!.data, timestampSamples: mono[11]!.timestampSamples - 480 };
    const packets = [...mono.slice(0, 11), mono[10]!, overlap, ...mono.slice(12)];
    const { blocks, stats } = decodeOpusStream(packets, { channels: 1 });
    const [pcm] = await collect(blocks);
    // The moved packet ends 480 samples early, so the next one follows a 480-sample gap.
    expect(stats).toMatchObject({ droppedLate: 1, trimmedSamples: 480, concealedSamples: 480 });
    expect(pcm).toHaveLength(mono.length * 960);
  });

  it('counts an invalid packet without libopus logging, and conceals its time', async () => {
    const errors = vi.spyOn(console, 'error');
    const bad = {
      data: new Uint8Array([0xfc | 1, 1, 2, 3]),
      timestampSamples: mono[20]!.timestampSamples,
    };
    const { blocks, stats } = decodeOpusStream([...mono.slice(0, 20), bad, ...mono.slice(21)], {
      channels: 1,
    });
    const [pcm] = await collect(blocks);
    expect(stats).toMatchObject({ invalidPackets: 1, concealedSamples: 960 });
    expect(pcm).toHaveLength(mono.length * 960);
    expect(errors).not.toHaveBeenCalled();
    errors.mockRestore();
  });

  it('starts output at originSamples (leading silence) and pads to endSamples', async () => {
    const first = mono[0]!.timestampSamples;
    const end = first + mono.length * 960 + 48_000;
    const { blocks, stats } = decodeOpusStream(mono.slice(0, 10), {
      channels: 1,
      originSamples: first - 4800,
      endSamples: end,
    });
    const [pcm] = await collect(blocks);
    expect(pcm).toHaveLength(end - (first - 4800));
    expect(pcm!.subarray(0, 4800).every((x) => x === 0)).toBe(true);
    expect(stats.concealedSamples).toBe(0);
    expect(stats.silenceSamples).toBe(4800 + (end - (first + 10 * 960)));
  });

  it('cuts everything before an origin later than the first packet', async () => {
    const origin = mono[5]!.timestampSamples + 100;
    const { blocks, stats } = decodeOpusStream(mono.slice(0, 10), {
      channels: 1,
      originSamples: origin,
    });
    const [pcm] = await collect(blocks);
    expect(pcm).toHaveLength(mono[10]!.timestampSamples - origin);
    expect(stats).toMatchObject({ droppedLate: 5, trimmedSamples: 100 });
  });

  it('stops with ABORTED when its signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      collect(decodeOpusStream(mono, { signal: controller.signal }).blocks),
    ).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

describe('OpusStreamDecoder', () => {
  it('returns blocks whose lengths add up to the packet timeline, and rejects bad options', async () => {
    const decoder = await OpusStreamDecoder.create({ channels: 2 });
    const out = mono.slice(0, 3).flatMap((p) => decoder.decode(p));
    expect(out.reduce((n, b) => n + blockFrames(b), 0)).toBe(3 * 960);
    expect(decoder.positionSamples).toBe(mono[3]!.timestampSamples);
    decoder.free();
    decoder.free();
    expect(() => decoder.decode(mono[3]!)).toThrow(/freed/);
    await expect(OpusStreamDecoder.create({ channels: 3 as 2 })).rejects.toThrow(RangeError);
  });
});
