import { describe, expect, it } from 'vitest';
import { createDepacketizer } from '../../../src/media/depacketize/index.js';
import { stream, without } from './helpers/rtp.js';

describe('Opus depacketizer', () => {
  it('turns each packet into one keyframe with its TOC duration, copying the payload', () => {
    const d = createDepacketizer('opus');
    const packets = stream([
      { payload: [0xfc, 1, 2], ts: 960 }, // CELT FB 20 ms, 1 frame
      { payload: [0x18, 9], ts: 1920 }, // SILK NB 60 ms (config 3)
      { payload: [0xfb, 0x03, 1, 1, 1], ts: 4800 }, // CELT FB 20 ms, code 3 × 3 frames
    ]);
    const frames = packets.flatMap((p) => d.push(p));
    expect(frames.map((f) => [f.timestampTicks, f.durationTicks, f.keyframe])).toEqual([
      [960, 960, true],
      [1920, 2880, true],
      [4800, 2880, true],
    ]);
    expect(frames[0]!.data).not.toBe(packets[0]!.packet.payload);
    expect([...frames[0]!.data]).toEqual([0xfc, 1, 2]);
    expect(d.flush()).toEqual([]);
  });

  it('leaves durationTicks out for a malformed TOC and still emits the frame', () => {
    const d = createDepacketizer('opus');
    const [f] = d.push(stream([{ payload: [0xfb], ts: 0 }])[0]!);
    expect(f!.durationTicks).toBeUndefined();
  });

  it('counts padding, ignores loss (no keyframe gate) and drops out-of-order input as late', () => {
    const d = createDepacketizer('opus');
    const packets = stream([
      { payload: [0xfc], ts: 0 },
      { payload: [], ts: 0 },
      { payload: [0xfc], ts: 960 },
      { payload: [0xfc], ts: 1920 },
    ]);
    const frames = without(packets, 2).flatMap((p) => d.push(p));
    expect(frames).toHaveLength(2);
    d.push(packets[0]!);
    expect(d.stats).toMatchObject({
      received: 4,
      padding: 1,
      late: 1,
      framesSkippedUntilKeyframe: 0,
    });
  });
});
