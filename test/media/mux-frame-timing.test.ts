import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TrackTiming, type ReadyFrame, type TimedFrame } from '../../src/media/mux/frame-timing.js';

const video = {
  requireKeyframe: true,
  jitterToleranceSeconds: 0.005,
  defaultDurationSeconds: 1 / 30,
};
const audio = {
  requireKeyframe: false,
  jitterToleranceSeconds: 0.005,
  defaultDurationSeconds: 0.02,
};
const frame = (timestampSeconds: number, keyframe = true, durationSeconds?: number): TimedFrame =>
  durationSeconds === undefined
    ? { data: new Uint8Array([1]), timestampSeconds, keyframe }
    : { data: new Uint8Array([1]), timestampSeconds, keyframe, durationSeconds };

function runAll(timing: TrackTiming, frames: readonly TimedFrame[]): ReadyFrame[] {
  const out: ReadyFrame[] = [];
  for (const f of frames) {
    const ready = timing.push(f);
    if (ready !== null) out.push(ready);
  }
  const last = timing.flush();
  if (last !== null) out.push(last);
  return out;
}

describe('TrackTiming', () => {
  it('gives each frame the gap to the next as its duration, and the last one the previous gap', () => {
    const out = runAll(new TrackTiming(video), [frame(0), frame(0.04, false), frame(0.1, false)]);
    expect(out.map((f) => [f.timestampSeconds, f.durationSeconds])).toEqual([
      [0, 0.04],
      [0.04, 0.1 - 0.04],
      [0.1, 0.1 - 0.04],
    ]);
  });

  it('keeps a duration the frame brings, and gives a lone frame the default duration', () => {
    expect(
      runAll(new TrackTiming(audio), [frame(0, true, 0.06), frame(0.02, true, 0.01)]).map(
        (f) => f.durationSeconds,
      ),
    ).toEqual([0.06, 0.01]);
    expect(runAll(new TrackTiming(video), [frame(1)]).map((f) => f.durationSeconds)).toEqual([
      1 / 30,
    ]);
  });

  it('drops and counts video frames before the first keyframe, but not audio frames', () => {
    const v = new TrackTiming(video);
    expect(
      runAll(v, [frame(0, false), frame(0.1, false), frame(0.2, true), frame(0.3, false)]).map(
        (f) => f.timestampSeconds,
      ),
    ).toEqual([0.2, 0.3]);
    expect(v.stats).toMatchObject({ droppedBeforeKeyframe: 2, framesWritten: 2 });
    expect(runAll(new TrackTiming(audio), [frame(0, false)]).map((f) => f.keyframe)).toEqual([
      true,
    ]);
  });

  it('moves a frame in the same millisecond or up to 5 ms back to 1 ms after the previous one, and drops one further back', () => {
    const t = new TrackTiming(audio);
    const out = runAll(t, [frame(1), frame(1.0002), frame(0.996), frame(0.9), frame(1.1)]);
    expect(out.map((f) => f.timestampSeconds)).toEqual([1, 1.001, 1.002, 1.1]);
    expect(t.stats).toMatchObject({ clampedJitter: 2, droppedBackwards: 1, framesWritten: 4 });
  });

  it('moves a first frame slightly before 0 to 0 and drops one well before it', () => {
    const t = new TrackTiming(audio);
    expect(
      runAll(t, [frame(-0.5), frame(-0.003), frame(0.02)]).map((f) => f.timestampSeconds),
    ).toEqual([0, 0.02]);
    expect(t.stats).toMatchObject({ droppedBackwards: 1, clampedJitter: 1 });
  });

  it('drops and counts empty frames', () => {
    const t = new TrackTiming(audio);
    expect(runAll(t, [{ data: new Uint8Array(0), timestampSeconds: 0, keyframe: true }])).toEqual(
      [],
    );
    expect(t.stats.droppedEmpty).toBe(1);
  });

  it('for any input: every frame is written or counted, output milliseconds strictly increase from >= 0, and the first is a keyframe', () => {
    const arbFrame = fc.record({
      timestampSeconds: fc.double({ min: -1, max: 10, noNaN: true }),
      keyframe: fc.boolean(),
      empty: fc.boolean(),
      durationSeconds: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(arbFrame, { maxLength: 60 }), fc.boolean(), (frames, isVideo) => {
        const timing = new TrackTiming(isVideo ? video : audio);
        const input = frames.map((f): TimedFrame => ({
          data: new Uint8Array(f.empty ? 0 : 1),
          timestampSeconds: f.timestampSeconds,
          keyframe: f.keyframe,
          ...(f.durationSeconds === undefined ? {} : { durationSeconds: f.durationSeconds }),
        }));
        const out = runAll(timing, input);
        const s = timing.stats;
        expect(
          s.framesWritten + s.droppedEmpty + s.droppedBeforeKeyframe + s.droppedBackwards,
        ).toBe(input.length);
        expect(out).toHaveLength(s.framesWritten);
        if (isVideo && out.length > 0) expect(out[0]!.keyframe).toBe(true);
        let lastTick = -1;
        out.forEach((f, i) => {
          const tick = Math.round(f.timestampSeconds * 1000);
          expect(f.timestampSeconds).toBeGreaterThanOrEqual(0);
          expect(tick).toBeGreaterThan(lastTick);
          lastTick = tick;
          expect(f.durationSeconds).toBeGreaterThanOrEqual(0);
          const next = out[i + 1];
          if (next !== undefined && f.source.durationSeconds === undefined) {
            expect(f.durationSeconds).toBeCloseTo(next.timestampSeconds - f.timestampSeconds, 12);
          }
          // A frame is moved by at most the tolerance plus the 1 ms step (and rounding).
          expect(Math.abs(f.timestampSeconds - f.source.timestampSeconds)).toBeLessThanOrEqual(
            0.005 + 0.0015,
          );
        });
      }),
      { seed: 20_240_611, numRuns: 2000 },
    );
  });
});
