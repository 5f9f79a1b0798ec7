import { beforeAll, describe, expect, it } from 'vitest';
import {
  encodeRtpdumpPreamble,
  encodeRtpdumpRecord,
  encodeRtpdumpRecordInto,
} from '../../src/rtpdump/core/rtpdump-encode.js';
import { RtpdumpParser } from '../../src/rtpdump/core/rtpdump-parser.js';
import { BARK, readBark } from './bark-fixture.js';

let bark: Uint8Array;
beforeAll(async () => {
  bark = await readBark();
});

describe('encodeRtpdumpPreamble()', () => {
  it('writes the text line and 16-byte header exactly as rtptools did for rtptools-bark.rtp', () => {
    const preamble = encodeRtpdumpPreamble({ address: '0.0.0.0', port: 20000, startSeconds: 0 });
    expect(preamble).toEqual(bark.subarray(0, 43));
    expect(new TextDecoder().decode(preamble.subarray(0, 27))).toBe(BARK.headerLine);
  });

  it('writes every header field so that the parser reads them back', () => {
    const header = {
      address: '192.0.2.10',
      port: 5004,
      startSeconds: 1_700_000_000,
      startMicroseconds: 999_999,
      source: '198.51.100.7',
      sourcePort: 40000,
    };
    const parser = new RtpdumpParser();
    parser.push(encodeRtpdumpPreamble(header));
    parser.end();
    expect(parser.header).toEqual(header);
  });

  it('rejects what a reader would reject: port 0, a non-IPv4 address, out-of-range times', () => {
    const ok = { address: '127.0.0.1', port: 5004, startSeconds: 0 };
    expect(() => encodeRtpdumpPreamble({ ...ok, port: 0 })).toThrow(/header\.port/);
    expect(() => encodeRtpdumpPreamble({ ...ok, port: 65536 })).toThrow(/header\.port/);
    expect(() => encodeRtpdumpPreamble({ ...ok, address: 'localhost' })).toThrow(/header\.address/);
    expect(() => encodeRtpdumpPreamble({ ...ok, address: '256.0.0.1' })).toThrow(/header\.address/);
    expect(() => encodeRtpdumpPreamble({ ...ok, source: '::1' })).toThrow(/header\.source/);
    expect(() => encodeRtpdumpPreamble({ ...ok, startSeconds: 2 ** 32 })).toThrow(
      /header\.startSeconds/,
    );
    expect(() => encodeRtpdumpPreamble({ ...ok, startMicroseconds: 1_000_000 })).toThrow(
      /header\.startMicroseconds/,
    );
  });
});

describe('encodeRtpdumpRecord()', () => {
  it('re-encodes every record of rtptools-bark.rtp to the same bytes', () => {
    const parser = new RtpdumpParser();
    const records = parser.push(bark);
    const encoded = records.map((r) => encodeRtpdumpRecord(r));
    const file = new Uint8Array(bark.byteLength);
    file.set(encodeRtpdumpPreamble({ address: '0.0.0.0', port: 20000, startSeconds: 0 }));
    let pos = 43;
    for (const e of encoded) {
      file.set(e, pos);
      pos += e.byteLength;
    }
    expect(pos).toBe(BARK.size);
    expect(file).toEqual(bark);
  });

  it('writes plen 0 for RTCP and plen = originalLength for a truncated RTP capture', () => {
    const rtcp = encodeRtpdumpRecord({
      offsetMs: 1,
      packet: new Uint8Array(8),
      isRtcp: true,
      originalLength: 99,
    });
    expect([...rtcp.subarray(0, 8)]).toEqual([0, 16, 0, 0, 0, 0, 0, 1]);
    const rtp = encodeRtpdumpRecord({
      offsetMs: 0x01020304,
      packet: new Uint8Array(12),
      isRtcp: false,
      originalLength: 1500,
    });
    expect([...rtp.subarray(0, 8)]).toEqual([0, 20, 0x05, 0xdc, 1, 2, 3, 4]);
  });

  it('throws RangeError naming the field that does not fit', () => {
    const packet = new Uint8Array(12);
    expect(() => encodeRtpdumpRecord({ offsetMs: -1, packet, isRtcp: false })).toThrow(/offsetMs/);
    expect(() => encodeRtpdumpRecord({ offsetMs: 2 ** 32, packet, isRtcp: false })).toThrow(
      /offsetMs/,
    );
    expect(() =>
      encodeRtpdumpRecord({ offsetMs: 0, packet: new Uint8Array(65528), isRtcp: false }),
    ).toThrow(/packet/);
    expect(() =>
      encodeRtpdumpRecord({ offsetMs: 0, packet: new Uint8Array(0), isRtcp: false }),
    ).toThrow(/plen 0/);
    expect(() =>
      encodeRtpdumpRecord({ offsetMs: 0, packet, isRtcp: false, originalLength: 11 }),
    ).toThrow(/originalLength/);
    expect(
      encodeRtpdumpRecord({ offsetMs: 0, packet: new Uint8Array(65527), isRtcp: false }).byteLength,
    ).toBe(65535);
  });

  it('encodes into a caller buffer at an offset and refuses to overrun it', () => {
    const target = new Uint8Array(40);
    expect(
      encodeRtpdumpRecordInto(
        { offsetMs: 7, packet: Uint8Array.of(9, 9), isRtcp: false },
        target,
        30,
      ),
    ).toBe(10);
    expect([...target.subarray(30)]).toEqual([0, 10, 0, 2, 0, 0, 0, 7, 9, 9]);
    expect(() =>
      encodeRtpdumpRecordInto(
        { offsetMs: 7, packet: Uint8Array.of(9, 9), isRtcp: false },
        target,
        31,
      ),
    ).toThrow(RangeError);
  });
});
