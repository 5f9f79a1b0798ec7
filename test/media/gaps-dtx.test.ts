import { OpusDecoder } from 'opus-decoder';
import { describe, expect, it } from 'vitest';
import { DtxFiller } from '../../src/media/gaps/dtx.js';
import { opusSilenceFrame } from '../../src/media/opus/silence.js';
import {
  SPEECH_20MS,
  SPEECH_20MS_STEREO,
  SPEECH_60MS_CODE3,
  run,
  summary,
} from './gaps-dtx-helpers.js';

describe('DtxFiller', () => {
  it('passes contiguous packets through unchanged, each with its TOC duration', () => {
    const { out, filler } = run([0, 1, 2].map((k) => ({ ts: 960 * k, seq: 10 + k })));
    expect(summary(out)).toEqual([
      [0, 960, false],
      [960, 960, false],
      [1920, 960, false],
    ]);
    expect(out[1]!.frame.data).toBe(SPEECH_20MS);
    expect(filler.stats).toMatchObject({
      dtxFramesInserted: 0,
      dtxGaps: 0,
      discontinuities: 0,
      framesOut: 3,
    });
  });

  it('fills a jump of 5 packet durations over contiguous sequence numbers with 4 silence packets after the last one', () => {
    const { out, filler } = run([
      { ts: 0, seq: 1 },
      { ts: 960, seq: 2 },
      { ts: 960 * 6, seq: 3 },
    ]);
    expect(summary(out)).toEqual([
      [0, 960, false],
      [960, 960, false],
      [1920, 960, true],
      [2880, 960, true],
      [3840, 960, true],
      [4800, 960, true],
      [5760, 960, false],
    ]);
    expect(Array.from(out[2]!.frame.data)).toEqual(
      Array.from(opusSilenceFrame({ durationSamples48k: 960, stereo: false })),
    );
    expect(filler.stats).toMatchObject({
      dtxFramesInserted: 4,
      dtxGaps: 1,
      dtxTicksInserted: 3840,
    });
  });

  it('inserts nothing when the sequence gap explains the jump (loss, not silence)', () => {
    const { out, filler } = run([
      { ts: 0, seq: 1 },
      { ts: 2880, seq: 4 },
    ]);
    expect(out.filter((o) => o.synthetic)).toEqual([]);
    expect(filler.stats.dtxGaps).toBe(0);
  });

  it('fills only the part of a jump that loss does not explain', () => {
    const { out } = run([
      { ts: 0, seq: 1 },
      { ts: 960 * 6, seq: 3 }, // one packet lost, 4 durations unexplained
    ]);
    expect(out.filter((o) => o.synthetic).map((o) => o.frame.timestampTicks)).toEqual([
      960, 1920, 2880, 3840,
    ]);
  });

  it('leaves a remainder shorter than one packet as a gap', () => {
    const { out } = run([
      { ts: 0, seq: 1 },
      { ts: 960 * 3 + 480, seq: 2 },
    ]);
    expect(summary(out)).toEqual([
      [0, 960, false],
      [960, 960, true],
      [1920, 960, true],
      [3360, 960, false],
    ]);
  });

  it('never underflows when the sequence gap is larger than the time gap (reference defect 4)', () => {
    const { out, filler } = run([
      { ts: 0, seq: 1 },
      { ts: 1920, seq: 60_000 },
    ]);
    expect(out).toHaveLength(2);
    expect(filler.stats.dtxFramesInserted).toBe(0);
  });

  it('works on the stream clock, not a hard-coded 48 kHz (16 kHz: 20 ms = 320 ticks)', () => {
    const { out } = run(
      [
        { ts: 0, seq: 1 },
        { ts: 320 * 4, seq: 2 },
      ],
      { clockRate: 16_000 },
    );
    expect(summary(out)).toEqual([
      [0, 320, false],
      [320, 320, true],
      [640, 320, true],
      [960, 320, true],
      [1280, 320, false],
    ]);
  });

  it('counts every frame of a code 3 packet: after a 60 ms packet the silence comes in 60 ms packets', () => {
    const { out } = run([
      { ts: 0, seq: 1, data: SPEECH_60MS_CODE3 },
      { ts: 2880 * 3, seq: 2, data: SPEECH_60MS_CODE3 },
    ]);
    expect(summary(out)).toEqual([
      [0, 2880, false],
      [2880, 2880, true],
      [5760, 2880, true],
      [8640, 2880, false],
    ]);
    expect(Array.from(out[1]!.frame.data)).toEqual([
      0xfb, 0x03, 0xff, 0xfe, 0xff, 0xfe, 0xff, 0xfe,
    ]);
  });

  it('gives the silence the stereo flag of the packet before the gap', () => {
    const { out } = run([
      { ts: 0, seq: 1, data: SPEECH_20MS_STEREO },
      { ts: 1920, seq: 2 },
    ]);
    expect(Array.from(out[1]!.frame.data)).toEqual([0xfc, 0xff, 0xfe]);
  });

  it('does not fill a gap longer than maxFillTicks; an unconfirmed jump is collapsed and reported', () => {
    const { out, filler } = run(
      [
        { ts: 0, seq: 1 },
        { ts: 960, seq: 2 },
        { ts: 960 + 100_000, seq: 3 },
        { ts: 960 + 100_000 + 1920, seq: 4 },
      ],
      { maxFillTicks: 48_000 },
    );
    expect(summary(out)).toEqual([
      [0, 960, false],
      [960, 960, false],
      [1920, 960, false],
      [2880, 960, true],
      [3840, 960, false],
    ]);
    expect(filler.stats).toMatchObject({ discontinuities: 1, dtxFramesInserted: 1 });
    expect(filler.discontinuityLog).toEqual([
      {
        extSeq: 3,
        inputTimestampTicks: 100_960,
        outputTimestampTicks: 1920,
        jumpTicks: 99_040,
        kind: 'forward',
        collapsed: true,
      },
    ]);
  });

  it('keeps a long gap the arrival clock confirms (the sender paused), without filling it', () => {
    const { out, filler } = run(
      [
        { ts: 0, seq: 1, arrivalMs: 0 },
        { ts: 48_000 * 700, seq: 2, arrivalMs: 700_020 },
      ],
      {},
    );
    expect(summary(out)).toEqual([
      [0, 960, false],
      [33_600_000, 960, false],
    ]);
    expect(filler.discontinuityLog[0]).toMatchObject({ kind: 'forward', collapsed: false });
  });

  it('collapses time that goes backwards, so output timestamps keep increasing', () => {
    const { out, filler } = run([
      { ts: 100_000, seq: 1 },
      { ts: 5_000, seq: 2 },
      { ts: 5_960, seq: 3 },
    ]);
    expect(out.map((o) => o.frame.timestampTicks)).toEqual([100_000, 100_960, 101_920]);
    expect(filler.discontinuityLog[0]).toMatchObject({ kind: 'backward', collapsed: true });
  });

  it('never inserts more than maxSpanTicks in total, and nothing with maxSpanTicks 0', () => {
    const inputs = [
      { ts: 0, seq: 1 },
      { ts: 960 * 5, seq: 2 },
      { ts: 960 * 10, seq: 3 },
    ];
    const capped = run(inputs, { maxSpanTicks: 960 * 5 });
    expect(capped.filler.stats).toMatchObject({
      dtxFramesInserted: 5,
      dtxTicksInserted: 4800,
      spanCapped: 1,
    });
    const none = run(inputs, { maxSpanTicks: 0 });
    expect(none.filler.stats).toMatchObject({ dtxFramesInserted: 0, spanCapped: 2 });
    expect(none.out).toHaveLength(3);
  });

  it('drops and counts repeated sequence numbers and packets that are not Opus', () => {
    const { out, filler } = run([
      { ts: 0, seq: 1 },
      { ts: 0, seq: 1 },
      { ts: 960, seq: 2, data: new Uint8Array(0) },
      { ts: 960, seq: 2, data: Uint8Array.of(0x79, 1, 2, 3) }, // code 1 with an odd payload
      { ts: 960, seq: 2 },
    ]);
    expect(out.map((o) => o.frame.timestampTicks)).toEqual([0, 960]);
    expect(filler.stats).toMatchObject({ duplicates: 1, malformed: 2, framesIn: 5, framesOut: 2 });
  });

  it('rejects bad options with a RangeError naming the option', () => {
    expect(() => new DtxFiller({ clockRate: 0 })).toThrow(/options\.clockRate/);
    expect(() => new DtxFiller({ clockRate: 8000.5 })).toThrow(RangeError);
    expect(() => new DtxFiller({ maxFillTicks: -1 })).toThrow(/options\.maxFillTicks/);
    expect(() => new DtxFiller({ maxFillTicks: Number.NaN })).toThrow(/options\.maxFillTicks/);
    expect(() => new DtxFiller({ maxSpanTicks: -5 })).toThrow(/options\.maxSpanTicks/);
  });

  it('produces a stream libopus decodes to exactly the output duration', async () => {
    const silence = opusSilenceFrame({ durationSamples48k: 960, stereo: false });
    const { out } = run([
      { ts: 0, seq: 1, data: silence },
      { ts: 960 * 4, seq: 2, data: silence },
      { ts: 960 * 9, seq: 4, data: silence },
    ]);
    const decoder = new OpusDecoder();
    await decoder.ready;
    const decoded = decoder.decodeFrames(out.map((o) => o.frame.data));
    decoder.free();
    expect(decoded.errors).toEqual([]);
    expect(decoded.samplesDecoded).toBe(out.reduce((n, o) => n + o.frame.durationTicks, 0));
  });
});
