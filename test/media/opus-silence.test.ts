import { OpusDecoder } from 'opus-decoder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opusSilenceFrame } from '../../src/media/opus/silence.js';
import { opusPacketInfo } from '../../src/media/opus/toc.js';

const DURATIONS = [
  ['2.5 ms', 120],
  ['5 ms', 240],
  ['10 ms', 480],
  ['20 ms', 960],
  ['40 ms', 1920],
  ['60 ms', 2880],
  ['120 ms', 5760],
  ['7.5 ms (three 2.5 ms frames)', 360],
] as const;

function peak(channels: readonly Float32Array[]): number {
  let max = 0;
  for (const channel of channels) for (const x of channel) max = Math.max(max, Math.abs(x));
  return max;
}

describe('opusSilenceFrame()', () => {
  let decoder: OpusDecoder;
  beforeAll(async () => {
    decoder = new OpusDecoder({ channels: 2 });
    await decoder.ready;
  });
  afterAll(() => decoder.free());

  it('is the well-known F8 FF FE packet for 20 ms of mono', () => {
    expect(Array.from(opusSilenceFrame({ durationSamples48k: 960, stereo: false }))).toEqual([
      0xf8, 0xff, 0xfe,
    ]);
  });

  for (const [name, samples] of DURATIONS) {
    for (const stereo of [false, true]) {
      it(`${name} ${stereo ? 'stereo' : 'mono'}: libopus decodes ${samples} samples of digital silence`, async () => {
        const packet = opusSilenceFrame({ durationSamples48k: samples, stereo });
        expect(opusPacketInfo(packet)).toMatchObject({
          mode: 'celt',
          durationSamples48k: samples,
          stereo,
        });
        await decoder.reset();
        const decoded = decoder.decodeFrame(packet);
        expect(decoded.errors).toEqual([]);
        expect(decoded.samplesDecoded).toBe(samples);
        expect(peak(decoded.channelData)).toBeLessThan(1e-9);
      });
    }
  }

  it('a run of 100 packets of mixed sizes decodes to continuous silence', async () => {
    await decoder.reset();
    const sizes = Array.from({ length: 100 }, (_, i) => DURATIONS[i % DURATIONS.length]![1]);
    const decoded = decoder.decodeFrames(
      sizes.map((d, i) => opusSilenceFrame({ durationSamples48k: d, stereo: i % 2 === 0 })),
    );
    expect(decoded.errors).toEqual([]);
    expect(decoded.samplesDecoded).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(peak(decoded.channelData)).toBeLessThan(1e-9);
  });

  it('rejects durations that are not a multiple of 2.5 ms in 2.5..120 ms with a RangeError naming the option', () => {
    for (const bad of [0, 100, 5880, 960.5, Number.NaN, -960]) {
      expect(() => opusSilenceFrame({ durationSamples48k: bad, stereo: false })).toThrow(
        /options\.durationSamples48k/,
      );
      expect(() => opusSilenceFrame({ durationSamples48k: bad, stereo: false })).toThrow(
        RangeError,
      );
    }
  });
});
