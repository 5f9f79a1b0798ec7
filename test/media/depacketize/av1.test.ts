import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../src/errors.js';
import { createAv1Depacketizer } from '../../../src/media/depacketize/av1.js';
import {
  encodeLeb128,
  parseAv1SequenceHeader,
  readLeb128,
} from '../../../src/media/depacketize/av1-obu.js';
import type { Depacketizer, EncodedFrame, OrderedPacket } from '../../../src/media/types.js';
import {
  aggregation,
  av1FramePayload,
  av1SequenceHeaderPayload,
  leb128,
  obu,
  obuSized,
} from './helpers/codec.js';
import { BitWriter, stream, without } from './helpers/rtp.js';

const SEQ = 1;
const TD = 2;
const FRAME = 6;

function runAll(d: Depacketizer, packets: readonly OrderedPacket[]): EncodedFrame[] {
  return [...packets.flatMap((p) => d.push(p)), ...d.flush()];
}

const seqPayload = av1SequenceHeaderPayload(320, 240);
const keyPayload = av1FramePayload(true);
const interPayload = av1FramePayload(false);

/** A one-packet key temporal unit: W = 2, sequence header with length, frame OBU takes the rest. */
function keyPacket(): number[] {
  const s = obu(SEQ, seqPayload);
  return [aggregation(false, false, 2, true), ...leb128(s.length), ...s, ...obu(FRAME, keyPayload)];
}

describe('AV1 OBU helpers', () => {
  it('leb128 round-trips and rejects truncated values', () => {
    for (const v of [0, 1, 127, 128, 300, 2 ** 21, 0xffff_ffff]) {
      const bytes = encodeLeb128(v);
      expect(readLeb128(bytes, 0)).toEqual({ value: v, length: bytes.length });
    }
    expect(readLeb128(Uint8Array.of(0x80), 0)).toBeUndefined();
  });

  it('parseAv1SequenceHeader() reads the maximum frame size, also after timing and decoder model info', () => {
    expect(parseAv1SequenceHeader(seqPayload)).toEqual({
      seqProfile: 0,
      reducedStillPictureHeader: false,
      maxWidth: 320,
      maxHeight: 240,
    });
    const w = new BitWriter().u(3, 0).u(1, 0).u(1, 0);
    w.u(1, 1).u(32, 1).u(32, 30).u(1, 1).u(3, 0b010); // timing info, uvlc num_ticks_per_picture_minus_1 = 1
    w.u(1, 1).u(5, 9).u(32, 1).u(5, 31).u(5, 31); // decoder model info (buffer_delay_length 10)
    w.u(1, 1).u(5, 1); // initial_display_delay_present, two operating points
    for (let i = 0; i < 2; i++) {
      w.u(12, i).u(5, 9).u(1, 1); // idc, level 9 → tier bit
      w.u(1, 1).u(10, 5).u(10, 6).u(1, 0); // decoder model for this op
      w.u(1, 1).u(4, 3); // initial display delay for this op
    }
    w.u(4, 10).u(4, 10).u(11, 1279).u(11, 719);
    expect(parseAv1SequenceHeader(w.bytes())).toMatchObject({ maxWidth: 1280, maxHeight: 720 });
    expect(() => parseAv1SequenceHeader(seqPayload.subarray(0, 3))).toThrow(ParseError);
  });
});

describe('AV1 depacketizer', () => {
  it('aggregated OBUs: a key temporal unit in low-overhead format, size from the sequence header', () => {
    const d = createAv1Depacketizer();
    const frames = runAll(d, stream([{ payload: keyPacket(), ts: 0, marker: true }]));
    expect(frames).toHaveLength(1);
    expect([...frames[0]!.data]).toEqual([
      ...obuSized(SEQ, seqPayload),
      ...obuSized(FRAME, keyPayload),
    ]);
    expect(frames[0]).toMatchObject({ keyframe: true, width: 320, height: 240 });
  });

  it('W = 0: every element length-prefixed; temporal delimiters dropped', () => {
    const td = obu(TD, []);
    const s = obu(SEQ, seqPayload);
    const f = obu(FRAME, keyPayload);
    const payload = [
      aggregation(false, false, 0, true),
      ...leb128(td.length),
      ...td,
      ...leb128(s.length),
      ...s,
      ...leb128(f.length),
      ...f,
    ];
    const frames = runAll(createAv1Depacketizer(), stream([{ payload, ts: 0, marker: true }]));
    expect([...frames[0]!.data]).toEqual([
      ...obuSized(SEQ, seqPayload),
      ...obuSized(FRAME, keyPayload),
    ]);
  });

  it('an OBU sent with obu_has_size_field keeps its own size', () => {
    const f = obuSized(FRAME, keyPayload);
    const s = obu(SEQ, seqPayload);
    const payload = [aggregation(false, false, 2, true), ...leb128(s.length), ...s, ...f];
    const frames = runAll(createAv1Depacketizer(), stream([{ payload, ts: 0, marker: true }]));
    expect([...frames[0]!.data]).toEqual([...obuSized(SEQ, seqPayload), ...f]);
  });

  it('a fragmented OBU across three packets (Y, then Z+Y, then Z) is reassembled', () => {
    const big = av1FramePayload(false, 600);
    const element = obu(FRAME, big);
    const parts = [element.subarray(0, 200), element.subarray(200, 400), element.subarray(400)];
    const packets = stream([
      { payload: keyPacket(), ts: 0, marker: true },
      { payload: [aggregation(false, true, 1, false), ...parts[0]!], ts: 3000 },
      { payload: [aggregation(true, true, 1, false), ...parts[1]!], ts: 3000 },
      { payload: [aggregation(true, false, 1, false), ...parts[2]!], ts: 3000, marker: true },
    ]);
    const d = createAv1Depacketizer();
    const frames = runAll(d, packets);
    expect(frames).toHaveLength(2);
    expect([...frames[1]!.data]).toEqual([...obuSized(FRAME, big)]);
    expect(frames[1]).toMatchObject({ keyframe: false, timestampTicks: 3000 });
    expect(frames[1]!.width).toBeUndefined();
  });

  it('a fragment completed in the next packet, followed by more elements in that packet', () => {
    const f1 = obu(FRAME, interPayload);
    const f2 = obu(FRAME, av1FramePayload(false, 5));
    const packets = stream([
      { payload: keyPacket(), ts: 0, marker: true },
      { payload: [aggregation(false, true, 1, false), ...f1.subarray(0, 8)], ts: 3000 },
      {
        payload: [
          aggregation(true, false, 2, false),
          ...leb128(f1.length - 8),
          ...f1.subarray(8),
          ...f2,
        ],
        ts: 3000,
        marker: true,
      },
    ]);
    const frames = runAll(createAv1Depacketizer(), packets);
    expect([...frames[1]!.data]).toEqual([
      ...obuSized(FRAME, interPayload),
      ...obuSized(FRAME, av1FramePayload(false, 5)),
    ]);
  });

  it('a lost middle fragment drops the temporal unit; inter units are skipped until the next key', () => {
    const element = obu(FRAME, av1FramePayload(false, 600));
    const packets = stream([
      { payload: keyPacket(), ts: 0, marker: true },
      { payload: [aggregation(false, true, 1, false), ...element.subarray(0, 200)], ts: 3000 },
      { payload: [aggregation(true, true, 1, false), ...element.subarray(200, 400)], ts: 3000 },
      {
        payload: [aggregation(true, false, 1, false), ...element.subarray(400)],
        ts: 3000,
        marker: true,
      },
      {
        payload: [aggregation(false, false, 1, false), ...obu(FRAME, interPayload)],
        ts: 6000,
        marker: true,
      },
      { payload: keyPacket(), ts: 9000, marker: true },
    ]);
    const d = createAv1Depacketizer();
    const frames = runAll(d, without(packets, 2));
    expect(frames.map((f) => f.timestampTicks)).toEqual([0, 9000]);
    expect(d.stats).toMatchObject({ framesDropped: 1, framesSkippedUntilKeyframe: 1 });
  });

  it('a continuation (Z) as the first packet of a temporal unit drops it', () => {
    const d = createAv1Depacketizer();
    runAll(
      d,
      stream([{ payload: [aggregation(true, false, 1, false), 1, 2, 3], ts: 0, marker: true }]),
    );
    expect(d.stats.framesDropped).toBe(1);
  });

  it('element lengths that overrun the packet drop the temporal unit', () => {
    const d = createAv1Depacketizer();
    runAll(
      d,
      stream([
        { payload: [aggregation(false, false, 0, false), 0x20, 0x30, 0x10], ts: 0, marker: true },
      ]),
    );
    expect(d.stats.framesDropped).toBe(1);
  });

  it('skips inter temporal units before the first key frame with a sequence header', () => {
    const d = createAv1Depacketizer();
    const frames = runAll(
      d,
      stream([
        {
          payload: [aggregation(false, false, 1, false), ...obu(FRAME, interPayload)],
          ts: 0,
          marker: true,
        },
        { payload: keyPacket(), ts: 3000, marker: true },
      ]),
    );
    expect(frames.map((f) => f.timestampTicks)).toEqual([3000]);
    expect(d.stats.framesSkippedUntilKeyframe).toBe(1);
  });
});
