import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeRtpdumpPreamble } from '../../src/rtpdump/core/rtpdump-encode.js';
import { readRtpdump } from '../../src/rtpdump/read-rtpdump.js';
import { RtpdumpWriter } from '../../src/rtpdump/rtpdump-writer.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const HEADER = {
  address: '127.0.0.1',
  port: 5004,
  startSeconds: 1_700_000_000,
  startMicroseconds: 250_000,
};
/** "#!rtpplay1.0 127.0.0.1/5004\n" (28 bytes) and the 16-byte header. */
const PREAMBLE_BYTES = encodeRtpdumpPreamble(HEADER).byteLength;

/** Byte equality without a deep-equality walk (fast on 64 KiB packets). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

function packet(i: number, size: number): Uint8Array {
  const p = new Uint8Array(size);
  p[0] = 0x80;
  p[2] = i >>> 8;
  p[3] = i & 0xff;
  p.fill(i & 0xff, 12);
  return p;
}

describe('RtpdumpWriter', () => {
  it('buffers records and writes them to the OS only on flush(), not one call per packet', async () => {
    const file = path.join(dir, 'a.rtpdump');
    const writer = await RtpdumpWriter.open(file, HEADER);
    for (let i = 0; i < 100; i++)
      await writer.write({ offsetMs: i * 20, packet: packet(i, 172), isRtcp: false });
    expect((await stat(file)).size).toBe(0);
    await writer.flush();
    expect((await stat(file)).size).toBe(writer.byteLength);
    expect(PREAMBLE_BYTES).toBe(44);
    expect(writer.byteLength).toBe(PREAMBLE_BYTES + 100 * 180);
    expect(writer.recordCount).toBe(100);
    await writer.close();
  });

  it('writes records larger than the buffer leaves across many flushes, read back identical', async () => {
    const file = path.join(dir, 'b.rtpdump');
    const writer = await RtpdumpWriter.open(file, HEADER);
    const sizes = Array.from({ length: 400 }, (_, i) => [12, 1200, 65527, 300][i % 4]!);
    for (const [i, size] of sizes.entries())
      await writer.write({ offsetMs: i, packet: packet(i, size), isRtcp: i % 10 === 9 });
    await writer.close();
    let i = 0;
    for await (const r of readRtpdump(file)) {
      expect(r.offsetMs).toBe(i);
      expect(r.isRtcp).toBe(i % 10 === 9);
      expect(sameBytes(r.packet, packet(i, sizes[i]!))).toBe(true);
      i += 1;
    }
    expect(i).toBe(sizes.length);
    expect((await stat(file)).size).toBe(writer.byteLength);
  });

  it('keeps call order when writes are not awaited one by one', async () => {
    const file = path.join(dir, 'c.rtpdump');
    const writer = await RtpdumpWriter.open(file, HEADER);
    await Promise.all(
      Array.from({ length: 2000 }, (_, i) =>
        writer.write({ offsetMs: i, packet: packet(i, 500), isRtcp: false }),
      ),
    );
    await writer.close();
    const offsets: number[] = [];
    for await (const r of readRtpdump(file)) offsets.push(r.offsetMs);
    expect(offsets).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });

  it('close() is idempotent and later writes reject with TypeError', async () => {
    const file = path.join(dir, 'd.rtpdump');
    const writer = await RtpdumpWriter.open(file, HEADER);
    await writer.write({ offsetMs: 0, packet: packet(0, 20), isRtcp: false });
    const first = writer.close();
    expect(writer.close()).toBe(first);
    await first;
    await writer.close();
    await expect(
      writer.write({ offsetMs: 1, packet: packet(1, 20), isRtcp: false }),
    ).rejects.toThrow(TypeError);
    await expect(writer.flush()).rejects.toThrow(TypeError);
    expect((await readFile(file)).byteLength).toBe(PREAMBLE_BYTES + 28);
  });

  it('rejects an invalid record without writing it', async () => {
    const file = path.join(dir, 'e.rtpdump');
    const writer = await RtpdumpWriter.open(file, HEADER);
    await expect(
      writer.write({ offsetMs: -5, packet: packet(0, 20), isRtcp: false }),
    ).rejects.toThrow(/offsetMs/);
    await writer.close();
    expect(writer.recordCount).toBe(0);
    expect((await readFile(file)).byteLength).toBe(PREAMBLE_BYTES);
  });

  it('open() validates the header and options before creating the file, and honours exclusive', async () => {
    const file = path.join(dir, 'f.rtpdump');
    await expect(RtpdumpWriter.open(file, { ...HEADER, port: 0 })).rejects.toThrow(/header\.port/);
    await expect(RtpdumpWriter.open(file, HEADER, { bufferSize: 1024 })).rejects.toThrow(
      /bufferSize/,
    );
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
    await writeFile(file, 'keep me');
    await expect(RtpdumpWriter.open(file, HEADER, { exclusive: true })).rejects.toThrow(/EEXIST/);
    expect(await readFile(file, 'utf8')).toBe('keep me');
  });
});

describe('RtpdumpWriter.append()', () => {
  it('writes the same bytes as write() for RTP and RTCP records, across buffer flushes', async () => {
    const a = path.join(dir, 'write.rtpdump');
    const b = path.join(dir, 'append.rtpdump');
    const viaWrite = await RtpdumpWriter.open(a, HEADER, { bufferSize: 65_536 });
    const viaAppend = await RtpdumpWriter.open(b, HEADER, { bufferSize: 65_536 });
    for (let i = 0; i < 500; i++) {
      const record = {
        offsetMs: i * 20,
        packet: packet(i, 12 + ((i * 37) % 1400)),
        isRtcp: i % 7 === 0,
      };
      await viaWrite.write(record);
      await viaAppend.append(record.offsetMs, record.packet, record.isRtcp);
    }
    expect(viaAppend.recordCount).toBe(500);
    expect(viaAppend.byteLength).toBe(viaWrite.byteLength);
    await Promise.all([viaWrite.close(), viaAppend.close()]);
    expect(sameBytes(await readFile(a), await readFile(b))).toBe(true);
  });

  it('throws the RangeError write() rejects with for an offset that is not a u32', async () => {
    const writer = await RtpdumpWriter.open(path.join(dir, 'bad.rtpdump'), HEADER);
    expect(() => writer.append(-1, packet(1, 20), false)).toThrow(RangeError);
    expect(() => writer.append(0.5, packet(1, 20), false)).toThrow(RangeError);
    expect(() => writer.append(0, new Uint8Array(0), false)).toThrow(RangeError);
    expect(writer.recordCount).toBe(0);
    await writer.close();
  });
});
