import { describe, expect, it } from 'vitest';
import { probeVideoPayload } from '../../../src/ingest/recorder/video-packet-probe.js';
import {
  aggregation,
  av1FramePayload,
  av1SequenceHeaderPayload,
  leb128,
  obu,
  obuSized,
} from '../../media/depacketize/helpers/codec.js';

const SEQ = 1;
const FRAME = 6;
const seq = av1SequenceHeaderPayload(640, 360);

describe('probeVideoPayload() for AV1', () => {
  it('a packet opening a coded video sequence (N = 1) is a keyframe, sized by its leading sequence header (W = 2, W = 0, W = 1, sized OBU)', () => {
    const s = obu(SEQ, seq);
    const f = obu(FRAME, av1FramePayload(true));
    const w2 = [aggregation(false, false, 2, true), ...leb128(s.length), ...s, ...f];
    const w0 = [
      aggregation(false, false, 0, true),
      ...leb128(s.length),
      ...s,
      ...leb128(f.length),
      ...f,
    ];
    const w1 = [aggregation(false, true, 1, true), ...s];
    const sized = [
      aggregation(false, false, 2, true),
      ...leb128(s.length + 1),
      ...obuSized(SEQ, seq),
      ...f,
    ];
    for (const payload of [w2, w0, w1, sized]) {
      expect(probeVideoPayload('AV1', Uint8Array.from(payload))).toEqual({
        keyframe: true,
        width: 640,
        height: 360,
      });
    }
  });

  it('N = 0 is not a keyframe; a continuation (Z = 1), an empty or a truncated payload learns nothing more', () => {
    const f = obu(FRAME, av1FramePayload(false));
    expect(
      probeVideoPayload('AV1', Uint8Array.from([aggregation(false, false, 1, false), ...f])),
    ).toEqual({ keyframe: false });
    expect(
      probeVideoPayload('AV1', Uint8Array.from([aggregation(true, false, 1, true), ...f])),
    ).toEqual({ keyframe: false });
    expect(probeVideoPayload('AV1', new Uint8Array())).toEqual({ keyframe: false });
    const s = obu(SEQ, seq);
    expect(
      probeVideoPayload(
        'AV1',
        Uint8Array.from([aggregation(false, false, 1, true), ...s.subarray(0, 2)]),
      ),
    ).toEqual({ keyframe: true });
    expect(
      probeVideoPayload('AV1', Uint8Array.from([aggregation(false, false, 2, true), 0x80])),
    ).toEqual({ keyframe: true });
  });
});
