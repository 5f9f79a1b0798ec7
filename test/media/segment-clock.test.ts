import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  measuredTicksPerMs,
  segmentClock,
  senderTimeOfFirstPacketMs,
  sessionClockOffsetMs,
  type SegmentClockInput,
} from '../../src/media/timeline/segment-clock.js';

function input(over: Partial<SegmentClockInput> = {}): SegmentClockInput {
  return {
    clockRate: 48_000,
    firstRtpTimestamp: 1_000,
    lastRtpTimestamp: 481_000,
    firstArrivalMs: 1_700_000_000_000,
    lastArrivalMs: 1_700_000_010_000,
    firstSr: undefined,
    lastSr: undefined,
    ...over,
  };
}

describe('segment clock', () => {
  it('senderTimeOfFirstPacketMs() subtracts the RTP distance from the first sender report', () => {
    const t = senderTimeOfFirstPacketMs(input({ firstSr: { rtpTimestamp: 49_000, ntpMs: 5_000 } }));
    expect(t).toBe(4_000);
  });

  it('senderTimeOfFirstPacketMs() is wrap-safe across 2^32 with sub-millisecond precision', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: -2_000_000, max: 2_000_000 }), (first, delta) => {
        const srTs = (first + delta) >>> 0;
        const t = senderTimeOfFirstPacketMs(
          input({ clockRate: 90_000, firstRtpTimestamp: first, firstSr: { rtpTimestamp: srTs, ntpMs: 1e12 } }),
        );
        expect(t).toBeCloseTo(1e12 - delta / 90, 6);
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  it('sessionClockOffsetMs() takes the least-delayed segment, so a participant with a wrong wall clock lands on the arrival clock', () => {
    // The sender's clock is 3 s ahead; audio arrived 20 ms after sending, video 80 ms.
    const skew = 3_000;
    const audio = input({ firstArrivalMs: 10_020, firstSr: { rtpTimestamp: 1_000, ntpMs: 10_000 + skew } });
    const video = input({
      clockRate: 90_000,
      firstRtpTimestamp: 5_000,
      firstArrivalMs: 10_580,
      firstSr: { rtpTimestamp: 5_000, ntpMs: 10_500 + skew },
    });
    const offset = sessionClockOffsetMs([audio, video]);
    expect(offset).toBe(20 - skew);
    // Video is placed 500 ms after audio, as the sender's clock says (not 560 ms as arrivals say).
    expect(segmentClock(video, offset).startMs - segmentClock(audio, offset).startMs).toBe(500);
  });

  it('segmentClock() falls back to the first arrival without sender reports', () => {
    const c = segmentClock(input(), undefined);
    expect(c.source).toBe('arrival');
    expect(c.startMs).toBe(1_700_000_000_000);
    expect(c.timeOfTicksMs(48_000)).toBe(1_700_000_001_000);
  });

  it('measuredTicksPerMs() measures sender drift between the first and last reports, ignoring implausible rates', () => {
    const drifted = input({
      firstSr: { rtpTimestamp: 0, ntpMs: 0 },
      lastSr: { rtpTimestamp: 48_048 * 60, ntpMs: 60_000 },
    });
    expect(measuredTicksPerMs(drifted)).toBeCloseTo(48.048, 6);
    const glitch = input({ firstSr: { rtpTimestamp: 0, ntpMs: 0 }, lastSr: { rtpTimestamp: 96_000 * 60, ntpMs: 60_000 } });
    expect(measuredTicksPerMs(glitch)).toBe(48);
    const short = input({ firstSr: { rtpTimestamp: 0, ntpMs: 0 }, lastSr: { rtpTimestamp: 48_100, ntpMs: 1_000 } });
    expect(measuredTicksPerMs(short)).toBe(48);
  });
});
