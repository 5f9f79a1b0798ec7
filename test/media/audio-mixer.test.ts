import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AudioMixer, softLimit, type MixerInput } from '../../src/media/audio/mixer.js';
import { blockFrames, type PcmBlock } from '../../src/media/audio/pcm-block.js';

/** `frames` frames of a constant, in blocks of `size`. */
function* constant(
  value: number | readonly number[],
  frames: number,
  size = 700,
): Generator<PcmBlock> {
  const values = typeof value === 'number' ? [value] : value;
  for (let at = 0; at < frames; at += size) {
    const n = Math.min(size, frames - at);
    yield { channelData: values.map((v) => new Float32Array(n).fill(v)) };
  }
}

async function mixAll(mixer: AudioMixer): Promise<{ sizes: number[]; planes: number[][] }> {
  const sizes: number[] = [];
  const planes: number[][] = [];
  for await (const block of mixer) {
    sizes.push(blockFrames(block));
    block.channelData.forEach((plane, c) => {
      planes[c] ??= [];
      planes[c].push(...plane);
    });
  }
  return { sizes, planes };
}

const f32 = (x: number): number => Math.fround(x);

describe('AudioMixer', () => {
  it('sums inputs at their offsets from the earliest start to the latest end, in fixed blocks with a short last one', async () => {
    const mixer = new AudioMixer({
      channels: 1,
      inputs: [
        { startFrames: 48_000, blocks: constant(0.25, 2500) },
        { startFrames: 49_000, blocks: constant(0.5, 3000, 333) },
      ],
    });
    expect(mixer.originFrames).toBe(48_000);
    const { sizes, planes } = await mixAll(mixer);
    expect(sizes).toEqual([960, 960, 960, 960, 160]);
    const pcm = planes[0]!;
    expect(pcm).toHaveLength(4000);
    expect(pcm[999]).toBe(0.25);
    expect(pcm[1000]).toBe(0.75);
    expect(pcm[2499]).toBe(0.75);
    expect(pcm[2500]).toBe(0.5);
    expect(pcm[3999]).toBe(0.5);
    expect(mixer.stats).toMatchObject({ blocks: 5, frames: 4000, limitedSamples: 0 });
  });

  it('fills silence between an input that ended and one that has not started', async () => {
    const { planes } = await mixAll(
      new AudioMixer({
        channels: 1,
        blockFrames: 100,
        inputs: [
          { startFrames: 0, blocks: constant(0.5, 150) },
          { startFrames: 1000, blocks: constant(0.5, 50) },
        ],
      }),
    );
    const pcm = planes[0]!;
    expect(pcm).toHaveLength(1050);
    expect(pcm.slice(150, 1000).every((x) => x === 0)).toBe(true);
    expect(pcm[1049]).toBe(0.5);
  });

  it('duplicates mono inputs to stereo and averages stereo inputs to mono', async () => {
    const stereo = await mixAll(
      new AudioMixer({ channels: 2, inputs: [{ startFrames: 0, blocks: constant(0.5, 10) }] }),
    );
    expect(stereo.planes.map((p) => p[0])).toEqual([0.5, 0.5]);
    const mono = await mixAll(
      new AudioMixer({
        channels: 1,
        inputs: [{ startFrames: 0, blocks: constant([0.25, 0.5], 10) }],
      }),
    );
    expect(mono.planes[0]![0]).toBe(0.375);
  });

  it('limits two full-scale inputs to below the 0.95 ceiling and leaves samples under the 0.8 knee untouched', async () => {
    const mixer = new AudioMixer({
      channels: 1,
      inputs: [
        { startFrames: 0, blocks: constant(1, 10) },
        { startFrames: 5, blocks: constant(-0.3, 10) },
      ],
    });
    const pcm = (await mixAll(mixer)).planes[0]!;
    expect(pcm[0]).toBe(f32(softLimit(1, 0.8, 0.95)));
    expect(pcm[0]).toBeLessThan(0.95);
    expect(pcm[5]).toBe(f32(0.7));
    expect(pcm[14]).toBe(f32(-0.3));
    expect(mixer.stats).toMatchObject({ limitedSamples: 5, peakBeforeLimit: 1 });
    expect(softLimit(2, 0.8, 0.95)).toBeLessThan(0.95);
    expect(softLimit(-1e9, 0.8, 0.95)).toBeGreaterThanOrEqual(-0.95);
    expect(softLimit(Number.NaN, 0.8, 0.95)).toBe(0);
  });

  it('pulls an input only when the block being built needs it, and closes inputs when the consumer stops', async () => {
    const pulls: number[] = [];
    const returned: number[] = [];
    const tracked = (id: number): Iterable<PcmBlock> => ({
      [Symbol.iterator]: () => ({
        next: () => {
          pulls.push(id);
          return { done: false, value: { channelData: [new Float32Array(100).fill(0.1)] } };
        },
        return: () => {
          returned.push(id);
          return { done: true, value: undefined };
        },
      }),
    });
    const mixer = new AudioMixer({
      channels: 1,
      blockFrames: 100,
      inputs: [
        { startFrames: 0, blocks: tracked(0) },
        { startFrames: 500, blocks: tracked(1) },
      ],
    });
    let seen = 0;
    for await (const _block of mixer) {
      seen++;
      if (seen === 3) {
        expect(pulls).toEqual([0, 0, 0]);
        break;
      }
    }
    expect(returned.sort()).toEqual([0, 1]);
  });

  it('stops with ABORTED when its signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      mixAll(
        new AudioMixer({
          inputs: [{ startFrames: 0, blocks: constant(0.1, 10) }],
          signal: controller.signal,
        }),
      ),
    ).rejects.toMatchObject({
      code: 'ABORTED',
    });
  });

  it('rejects bad options and malformed blocks', async () => {
    expect(() => new AudioMixer({ inputs: [] })).toThrow(RangeError);
    expect(() => new AudioMixer({ inputs: [{ startFrames: 0.5, blocks: [] }] })).toThrow(
      /startFrames/,
    );
    expect(
      () => new AudioMixer({ inputs: [{ startFrames: 0, blocks: [] }], ceiling: 1.5 }),
    ).toThrow(/ceiling/);
    const bad = new AudioMixer({
      inputs: [
        { startFrames: 0, blocks: [{ channelData: [new Float32Array(2), new Float32Array(3)] }] },
      ],
    });
    await expect(mixAll(bad)).rejects.toThrow(TypeError);
  });

  it('for any inputs: output spans earliest start to latest end, never exceeds the ceiling, and is the plain sum below the knee', async () => {
    const input = fc.record({
      startFrames: fc.integer({ min: 0, max: 3000 }),
      frames: fc.integer({ min: 0, max: 2000 }),
      size: fc.integer({ min: 1, max: 900 }),
      value: fc.double({ min: -1, max: 1, noNaN: true }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(input, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 1000 }),
        async (specs, size) => {
          const inputs: MixerInput[] = specs.map((s) => ({
            startFrames: s.startFrames,
            blocks: constant(s.value, s.frames, s.size),
          }));
          const mixer = new AudioMixer({ channels: 1, blockFrames: size, inputs });
          const { sizes, planes } = await mixAll(mixer);
          const origin = Math.min(...specs.map((s) => s.startFrames));
          const end = Math.max(...specs.map((s) => s.startFrames + s.frames));
          const pcm = planes[0] ?? [];
          expect(pcm).toHaveLength(end - origin);
          sizes.slice(0, -1).forEach((n) => expect(n).toBe(size));
          for (let i = 0; i < pcm.length; i += 37) {
            const t = origin + i;
            const sum = specs.reduce(
              (acc, s) =>
                acc + (t >= s.startFrames && t < s.startFrames + s.frames ? f32(s.value) : 0),
              0,
            );
            expect(Math.abs(pcm[i]!)).toBeLessThanOrEqual(f32(0.95));
            if (Math.abs(sum) <= 0.79) expect(pcm[i]).toBeCloseTo(sum, 5);
          }
        },
      ),
      { seed: 1984, numRuns: 300 },
    );
  });
});
