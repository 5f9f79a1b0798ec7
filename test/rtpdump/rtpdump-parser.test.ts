import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ParseError } from '../../src/errors.js';
import { parseRtcpCompound } from '../../src/rtp/rtcp.js';
import { parseRtpPacket } from '../../src/rtp/rtp-packet.js';
import { RtpdumpParser } from '../../src/rtpdump/core/rtpdump-parser.js';
import type { RtpdumpRecord } from '../../src/rtpdump/core/types.js';
import { BARK, readBark } from './bark-fixture.js';

let bark: Uint8Array;
beforeAll(async () => {
  bark = await readBark();
});

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.byteLength;
  }
  return out;
}

/** Parses `bytes` pushed in pieces cut at `cuts` (sorted offsets), then ends. */
function parseInPieces(
  bytes: Uint8Array,
  cuts: readonly number[],
): { parser: RtpdumpParser; records: RtpdumpRecord[] } {
  const parser = new RtpdumpParser();
  const records: RtpdumpRecord[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.byteLength]) {
    records.push(...parser.push(bytes.subarray(from, cut)));
    from = cut;
  }
  parser.end();
  return { parser, records };
}

function caught(fn: () => unknown): ParseError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ParseError);
    return error as ParseError;
  }
  throw new TypeError('expected a ParseError, nothing was thrown');
}

/** Records with packets as plain arrays, for comparisons across buffers. */
function plain(records: readonly RtpdumpRecord[]): unknown[] {
  return records.map((r) => ({ ...r, packet: [...r.packet] }));
}

const EMPTY_HEADER = new Uint8Array(16);

describe('RtpdumpParser on rtptools-bark.rtp', () => {
  it('reads the header line and the 16-byte header: all zero but port 20000', () => {
    const { parser } = parseInPieces(bark, []);
    expect(bark.byteLength).toBe(BARK.size);
    expect(parser.header).toEqual({
      address: '0.0.0.0',
      port: 20000,
      startSeconds: 0,
      startMicroseconds: 0,
      source: '0.0.0.0',
      sourcePort: 20000,
    });
    expect(parser.position).toBe(BARK.size);
  });

  it('reads 16 records: 15 RTP PCMU packets and 1 RTCP (SR + SDES) packet', () => {
    const { records } = parseInPieces(bark, []);
    expect(records).toHaveLength(BARK.recordCount);
    expect(records.map((r) => r.fileOffset)).toEqual(BARK.recordOffsets);
    const [first, second] = records;
    expect(first).toMatchObject({
      offsetMs: 44020,
      isRtcp: false,
      originalLength: 172,
      fileOffset: 43,
    });
    expect(first?.packet.byteLength).toBe(172); // record length 180 − 8
    expect(second).toMatchObject({
      offsetMs: 44030,
      isRtcp: true,
      originalLength: 72,
      fileOffset: BARK.rtcpFileOffset,
    });

    const rtp = records.filter((r) => !r.isRtcp).map((r) => parseRtpPacket(r.packet));
    expect(rtp).toHaveLength(BARK.rtpCount);
    rtp.forEach((p, i) => {
      expect(p.payloadType).toBe(0);
      expect(p.ssrc).toBe(BARK.ssrc);
      expect(p.sequenceNumber).toBe(BARK.firstSequence + i);
      expect(p.timestamp).toBe(BARK.firstTimestamp + i * 160);
      expect(p.payload.byteLength).toBe(160);
      expect(p.marker).toBe(i === 0);
    });
    expect(records.filter((r) => !r.isRtcp).map((r) => r.offsetMs)).toEqual([
      44020,
      ...Array.from({ length: 14 }, (_, i) => 44040 + i * 20),
    ]);

    const rtcp = parseRtcpCompound(second!.packet);
    expect(rtcp.map((p) => p.type)).toEqual(['sr', 'sdes']);
    expect(rtcp[0]).toMatchObject({
      ssrc: BARK.ssrc,
      rtpTimestamp: 0xedc34d54,
      packetCount: 1,
      octetCount: 160,
    });
    expect(rtcp[1]).toMatchObject({
      chunks: [
        {
          ssrc: BARK.ssrc,
          items: [
            { type: 1, text: 'good_dog@columbia.edu' },
            { type: 2, text: 'nice_dog' },
          ],
        },
      ],
    });
  });

  it('gives identical records for every chunk size from 1 to 64', () => {
    const whole = plain(parseInPieces(bark, []).records);
    for (let size = 1; size <= 64; size++) {
      const cuts = Array.from(
        { length: Math.ceil(bark.byteLength / size) - 1 },
        (_, i) => (i + 1) * size,
      );
      expect(plain(parseInPieces(bark, cuts).records), `chunk size ${size}`).toEqual(whole);
    }
  });

  it('gives identical records for arbitrary cut points, empty chunks included', () => {
    const whole = plain(parseInPieces(bark, []).records);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: BARK.size }), { maxLength: 40 }), (cuts) => {
        expect(
          plain(
            parseInPieces(
              bark,
              [...cuts].sort((a, b) => a - b),
            ).records,
          ),
        ).toEqual(whole);
      }),
      { seed: 2823, numRuns: 300 },
    );
  });

  it('end() after a truncation at any byte throws at the start of the unfinished part, except on record boundaries', () => {
    const boundaries = new Set<number>([...BARK.recordOffsets, BARK.size]);
    for (let n = 0; n <= BARK.size; n++) {
      const parser = new RtpdumpParser();
      const records = parser.push(bark.subarray(0, n));
      if (boundaries.has(n)) {
        parser.end();
        expect(records).toHaveLength(BARK.recordOffsets.filter((o) => o < n).length);
        continue;
      }
      const error = caught(() => parser.end());
      const start = n < 27 ? 0 : n < 43 ? 27 : BARK.recordOffsets.filter((o) => o <= n).at(-1);
      expect(error.offset, `truncated at ${n}`).toBe(start);
      expect(error.format).toBe('rtpdump');
      if (n > 0) expect(error.message).toContain(`at byte ${n}`);
    }
  });
});

describe('RtpdumpParser', () => {
  it('rejects a first line that does not start with "#!rtpplay1.0 " at the first wrong byte, on push', () => {
    expect(caught(() => new RtpdumpParser().push(ascii('#!rtpplay1.1 0.0.0.0/1\n'))).offset).toBe(
      11,
    );
    expect(caught(() => new RtpdumpParser().push(ascii('#!rtpplay1.0\n'))).offset).toBe(12);
    expect(caught(() => new RtpdumpParser().push(ascii('RIFF'))).offset).toBe(0);
    const parser = new RtpdumpParser();
    parser.push(ascii('#!rtp'));
    expect(caught(() => parser.push(ascii('dump'))).offset).toBe(5);
  });

  it('caps the first line at 1 KiB instead of buffering garbage', () => {
    const line = ascii(`#!rtpplay1.0 ${'a'.repeat(2000)}`);
    const parser = new RtpdumpParser();
    const error = caught(() => {
      for (let i = 0; i < line.byteLength; i += 7) parser.push(line.subarray(i, i + 7));
    });
    expect(error.offset).toBe(1023);
    // the longest accepted line: 1023 bytes and the newline
    const longest = ascii(`#!rtpplay1.0 ${'1'.repeat(1023 - 13 - 6)}/20000\n`);
    expect(longest.byteLength).toBe(1024);
    const ok = new RtpdumpParser();
    ok.push(concat(longest, EMPTY_HEADER));
    ok.end();
    expect(ok.header?.port).toBe(20000);
  });

  it('reads the address text leniently: host names, IPv6, CRLF, and no port at all', () => {
    const header = (line: string): unknown => {
      const parser = new RtpdumpParser();
      parser.push(concat(ascii(line), EMPTY_HEADER));
      parser.end();
      return { address: parser.header?.address, port: parser.header?.port };
    };
    expect(header('#!rtpplay1.0 media.example/5004\r\n')).toEqual({
      address: 'media.example',
      port: 5004,
    });
    expect(header('#!rtpplay1.0 ::1/5004\n')).toEqual({ address: '::1', port: 5004 });
    expect(header('#!rtpplay1.0 whatever\n')).toEqual({ address: 'whatever', port: 0 });
    expect(header('#!rtpplay1.0 1.2.3.4/99999\n')).toEqual({ address: '1.2.3.4/99999', port: 0 });
    expect(header('#!rtpplay1.0 \n')).toEqual({ address: '', port: 0 });
  });

  it('reads the binary header fields: start time, source address and port', () => {
    const parser = new RtpdumpParser();
    parser.push(
      concat(
        ascii('#!rtpplay1.0 10.0.0.1/5004\n'),
        Uint8Array.of(
          0x65,
          0x5f,
          0x5e,
          0x00,
          0x00,
          0x07,
          0xa1,
          0x1f,
          192,
          168,
          1,
          20,
          0x13,
          0x8c,
          0,
          0,
        ),
      ),
    );
    expect(parser.header).toEqual({
      address: '10.0.0.1',
      port: 5004,
      startSeconds: 0x655f5e00,
      startMicroseconds: 499_999,
      source: '192.168.1.20',
      sourcePort: 5004,
    });
  });

  it('throws at the record header when a record length is less than 8, on push', () => {
    const bytes = concat(bark.subarray(0, 43), Uint8Array.of(0, 7, 0, 0, 0, 0, 0, 0));
    expect(caught(() => new RtpdumpParser().push(bytes)).offset).toBe(43);
    // split inside the record header
    const parser = new RtpdumpParser();
    parser.push(bytes.subarray(0, 45));
    expect(caught(() => parser.push(bytes.subarray(45))).offset).toBe(43);
  });

  it('returns the records before a malformed one and throws its ParseError from the next call', () => {
    const bytes = concat(bark.subarray(0, 223), Uint8Array.of(0, 3, 0, 0, 0, 0, 0, 0));
    const parser = new RtpdumpParser();
    const records = parser.push(bytes);
    expect(records.map((r) => r.fileOffset)).toEqual([43]);
    expect(caught(() => parser.end())).toMatchObject({
      offset: 223,
      message: expect.stringMatching(/record length 3/),
    });
  });

  it('accepts an empty record (length 8) and keeps plen 0 as RTCP with originalLength 0', () => {
    const parser = new RtpdumpParser();
    const records = parser.push(
      concat(bark.subarray(0, 43), Uint8Array.of(0, 8, 0, 0, 0, 0, 0, 5)),
    );
    parser.end();
    expect(plain(records)).toEqual([
      { offsetMs: 5, isRtcp: true, originalLength: 0, packet: [], fileOffset: 43 },
    ]);
  });

  it('reports plen as originalLength when the capture truncated a packet', () => {
    const parser = new RtpdumpParser();
    const record = Uint8Array.of(0, 12, 0x05, 0xdc, 0xff, 0xff, 0xff, 0xff, 0x80, 0x60, 0, 1);
    const [r] = parser.push(concat(bark.subarray(0, 43), record));
    expect(r).toMatchObject({ originalLength: 1500, isRtcp: false, offsetMs: 0xffff_ffff });
    expect(r?.packet.byteLength).toBe(4);
  });

  it('keeps throwing its ParseError after a failure, and rejects push() after end()', () => {
    const parser = new RtpdumpParser();
    const first = caught(() => parser.push(ascii('nope')));
    expect(caught(() => parser.push(ascii('#!rtpplay1.0 ')))).toBe(first);
    expect(caught(() => parser.end())).toBe(first);
    const ended = new RtpdumpParser();
    ended.push(bark);
    ended.end();
    ended.end(); // idempotent
    expect(() => ended.push(bark)).toThrow(TypeError);
  });

  it('copies packets by default and gives views of the chunk with copyPackets: false', () => {
    const copied = new RtpdumpParser().push(bark);
    expect(copied.every((r) => r.packet.buffer !== bark.buffer)).toBe(true);
    const views = new RtpdumpParser({ copyPackets: false }).push(bark);
    expect(views.every((r) => r.packet.buffer === bark.buffer)).toBe(true);
    expect(plain(views)).toEqual(plain(copied));
  });

  it('end() on an empty file throws at byte 0', () => {
    const parser = new RtpdumpParser();
    expect(parser.push(new Uint8Array(0))).toEqual([]);
    expect(caught(() => parser.end())).toMatchObject({
      offset: 0,
      message: expect.stringMatching(/empty file/),
    });
  });
});
