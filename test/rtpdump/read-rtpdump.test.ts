import fc from 'fast-check';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParseError, TapedeckError } from '../../src/errors.js';
import { serializeRtpPacket } from '../../src/rtp/rtp-packet.js';
import type { RtpdumpRecordInit } from '../../src/rtpdump/core/rtpdump-encode.js';
import type { RtpdumpRecord } from '../../src/rtpdump/core/types.js';
import { openRtpdump, readRtpdump } from '../../src/rtpdump/read-rtpdump.js';
import { RtpdumpWriter } from '../../src/rtpdump/rtpdump-writer.js';
import { BARK, BARK_PATH, readBark } from './bark-fixture.js';

let dir: string;
let bark: Uint8Array;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-'));
  bark = await readBark();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(records: AsyncIterable<RtpdumpRecord>): Promise<RtpdumpRecord[]> {
  const out: RtpdumpRecord[] = [];
  for await (const r of records) out.push(r);
  return out;
}

function plain(records: readonly RtpdumpRecord[]): unknown[] {
  return records.map((r) => ({ ...r, packet: [...r.packet] }));
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new TypeError('expected a rejection');
}

describe('openRtpdump()', () => {
  it('returns the header of rtptools-bark.rtp, then its 16 records', async () => {
    const file = await openRtpdump(BARK_PATH);
    expect(file.header).toMatchObject({
      address: '0.0.0.0',
      port: 20000,
      startSeconds: 0,
      sourcePort: 20000,
    });
    const records = await collect(file.records());
    expect(records.map((r) => r.fileOffset)).toEqual(BARK.recordOffsets);
    expect(records.filter((r) => r.isRtcp).map((r) => r.fileOffset)).toEqual([BARK.rtcpFileOffset]);
    await file.close();
  });

  it('reads the same records whatever the read size, down to 1 byte', async () => {
    const expected = plain(await collect(readRtpdump(BARK_PATH)));
    for (const highWaterMark of [1, 3, 8, 43, 180, 1000]) {
      expect(plain(await collect(readRtpdump(BARK_PATH, { highWaterMark })))).toEqual(expected);
    }
  });

  it('gives packets that own their bytes by default and views with copyPackets: false', async () => {
    const copies = await collect(readRtpdump(BARK_PATH));
    expect(copies.every((r) => r.packet.byteLength === r.packet.buffer.byteLength)).toBe(true);
    const views = await collect(readRtpdump(BARK_PATH, { copyPackets: false }));
    expect(views.some((r) => r.packet.buffer.byteLength > r.packet.byteLength)).toBe(true);
    expect(plain(views)).toEqual(plain(copies));
  });

  it('records() can be iterated once; close() before iterating is fine and idempotent', async () => {
    const file = await openRtpdump(BARK_PATH);
    await file.close();
    await file.close();
    const again = await openRtpdump(BARK_PATH);
    for await (const _ of again.records()) break; // stopping early closes the file
    await expect(collect(again.records())).rejects.toThrow(TypeError);
  });

  it('rejects a missing file with INPUT_NOT_FOUND', async () => {
    const error = await rejection(openRtpdump(path.join(dir, 'missing.rtpdump')));
    expect(error).toBeInstanceOf(TapedeckError);
    expect((error as TapedeckError).code).toBe('INPUT_NOT_FOUND');
  });

  it('rejects a file cut inside its header with ParseError at byte 27', async () => {
    const file = path.join(dir, 'short-header.rtpdump');
    await writeFile(file, bark.subarray(0, 30));
    const error = await rejection(openRtpdump(file));
    expect(error).toBeInstanceOf(ParseError);
    expect(error).toMatchObject({ offset: 27 });
  });

  it('readRtpdump() on a file cut inside the last record throws at that record, after yielding the others', async () => {
    const file = path.join(dir, 'short-record.rtpdump');
    await writeFile(file, bark.subarray(0, BARK.size - 1));
    const seen: number[] = [];
    const error = await rejection(
      (async () => {
        for await (const r of readRtpdump(file, { highWaterMark: 100 })) seen.push(r.fileOffset);
      })(),
    );
    expect(error).toBeInstanceOf(ParseError);
    expect(error).toMatchObject({
      offset: 2643,
      message: expect.stringContaining(`at byte ${BARK.size - 1}`),
    });
    expect(seen).toEqual(BARK.recordOffsets.slice(0, -1));
  });

  it('stops with an AbortError when the signal aborts', async () => {
    const controller = new AbortController();
    const error = await rejection(
      (async () => {
        for await (const _ of readRtpdump(BARK_PATH, {
          signal: controller.signal,
          highWaterMark: 64,
        }))
          controller.abort();
      })(),
    );
    expect((error as Error).name).toBe('AbortError');
    await expect(
      collect(readRtpdump(BARK_PATH, { signal: AbortSignal.abort() })),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('throws RangeError for a highWaterMark that is not a positive integer', async () => {
    await expect(openRtpdump(BARK_PATH, { highWaterMark: 0 })).rejects.toThrow(
      /options\.highWaterMark/,
    );
  });
});

const recordInit: fc.Arbitrary<RtpdumpRecordInit> = fc.oneof(
  fc.record({
    offsetMs: fc.nat({ max: 0xffff_ffff }),
    packet: fc.uint8Array({ minLength: 1, maxLength: 1500 }),
    isRtcp: fc.constant(false),
    originalLength: fc.integer({ min: 1500, max: 0xffff }),
  }),
  fc.record({
    offsetMs: fc.nat({ max: 0xffff_ffff }),
    packet: fc.uint8Array({ maxLength: 600 }),
    isRtcp: fc.constant(true),
  }),
);

describe('RtpdumpWriter → readRtpdump()', () => {
  it('round-trips arbitrary records and headers through a file', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(recordInit, { maxLength: 120 }),
        fc.record({
          port: fc.integer({ min: 1, max: 0xffff }),
          startSeconds: fc.nat({ max: 0xffff_ffff }),
          startMicroseconds: fc.nat({ max: 999_999 }),
        }),
        async (records, h) => {
          const file = path.join(dir, `roundtrip-${run++}.rtpdump`);
          const header = { address: '10.1.2.3', source: '10.9.8.7', sourcePort: 7, ...h };
          const writer = await RtpdumpWriter.open(file, header);
          for (const r of records) await writer.write(r);
          await writer.close();
          const opened = await openRtpdump(file, { highWaterMark: 997 });
          expect(opened.header).toEqual(header);
          const back = await collect(opened.records());
          expect(
            back.map((r) => ({ offsetMs: r.offsetMs, isRtcp: r.isRtcp, packet: [...r.packet] })),
          ).toEqual(
            records.map((r) => ({ offsetMs: r.offsetMs, isRtcp: r.isRtcp, packet: [...r.packet] })),
          );
          back.forEach((r, i) => {
            const sent = records[i]!;
            expect(r.originalLength).toBe(
              sent.isRtcp ? sent.packet.byteLength : sent.originalLength,
            );
          });
          await rm(file);
        },
      ),
      { seed: 1996, numRuns: 40 },
    );
  });

  it('streams a generated ~50 MB file with the right record count', async () => {
    const file = path.join(dir, 'big.rtpdump');
    const writer = await RtpdumpWriter.open(file, {
      address: '127.0.0.1',
      port: 5004,
      startSeconds: 1_700_000_000,
    });
    const payload = new Uint8Array(1188).fill(0xab);
    const count = 42_000; // 42,000 × 1,208-byte records ≈ 50.7 MB
    for (let i = 0; i < count; i++) {
      const isRtcp = i % 500 === 499;
      const packet = isRtcp
        ? new Uint8Array(28).fill(0x80)
        : serializeRtpPacket({
            payloadType: 96,
            sequenceNumber: i & 0xffff,
            timestamp: (i * 3000) >>> 0,
            ssrc: 42,
            payload,
          });
      await writer.write({ offsetMs: Math.floor(i / 3), packet, isRtcp });
    }
    await writer.close();
    expect((await stat(file)).size).toBeGreaterThan(50_000_000);
    let records = 0;
    let rtcp = 0;
    let bytes = 0;
    for await (const r of readRtpdump(file)) {
      records += 1;
      if (r.isRtcp) rtcp += 1;
      bytes += r.packet.byteLength;
    }
    expect(records).toBe(count);
    expect(rtcp).toBe(count / 500);
    expect(bytes).toBe((count - count / 500) * 1200 + (count / 500) * 28);
  });
});
