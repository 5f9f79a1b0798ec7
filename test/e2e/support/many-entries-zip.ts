/**
 * A real ZIP64 archive of `count` empty stored files (`f0`, `f1`, …), built directly in
 * memory: yazl needs minutes for 100,000 entries, this takes milliseconds. Past 65,535
 * entries the EOCD counts are 0xFFFF and the ZIP64 end record carries the real ones.
 *
 * ```
 * [local header 0]…[local header n−1][central directory][zip64 EOCD][zip64 locator][EOCD]
 * ```
 * @see PKWARE APPNOTE.TXT §4.3.7 (local header), §4.3.12 (central header), §4.3.14–16 (end records)
 */

const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;
const REGULAR_FILE_0644 = (0o100644 << 16) >>> 0;

export function manyEntriesZip(count: number): Buffer {
  if (!Number.isSafeInteger(count) || count < 1)
    throw new RangeError(`count must be a positive integer, got ${count}`);
  const names = Array.from({ length: count }, (_, i) => Buffer.from(`f${i}`, 'ascii'));
  const localBytes = names.reduce((n, name) => n + 30 + name.byteLength, 0);
  const centralBytes = names.reduce((n, name) => n + 46 + name.byteLength, 0);
  const out = Buffer.alloc(localBytes + centralBytes + 56 + 20 + 22);
  const offsets: number[] = [];
  let at = 0;
  for (const name of names) {
    offsets.push(at);
    out.writeUInt32LE(0x04034b50, at);
    out.writeUInt16LE(20, at + 4); // version needed
    out.writeUInt16LE(DOS_DATE_1980_01_01, at + 12);
    out.writeUInt16LE(name.byteLength, at + 26);
    name.copy(out, at + 30);
    at += 30 + name.byteLength; // method 0, crc 0, sizes 0, no extra field
  }
  const centralStart = at;
  names.forEach((name, i) => {
    out.writeUInt32LE(0x02014b50, at);
    out.writeUInt16LE((3 << 8) | 20, at + 4); // made by: Unix, 2.0
    out.writeUInt16LE(20, at + 6);
    out.writeUInt16LE(DOS_DATE_1980_01_01, at + 14);
    out.writeUInt16LE(name.byteLength, at + 28);
    out.writeUInt32LE(REGULAR_FILE_0644, at + 38);
    out.writeUInt32LE(offsets[i]!, at + 42);
    name.copy(out, at + 46);
    at += 46 + name.byteLength;
  });
  const u64 = (value: number, offset: number): void => {
    out.writeUInt32LE(value >>> 0, offset);
    out.writeUInt32LE(Math.floor(value / 2 ** 32), offset + 4);
  };
  const zip64End = at;
  out.writeUInt32LE(0x06064b50, at);
  u64(44, at + 4); // size of the rest of this record
  out.writeUInt16LE(45, at + 12);
  out.writeUInt16LE(45, at + 14);
  u64(count, at + 24);
  u64(count, at + 32);
  u64(centralBytes, at + 40);
  u64(centralStart, at + 48);
  at += 56;
  out.writeUInt32LE(0x07064b50, at);
  u64(zip64End, at + 8);
  out.writeUInt32LE(1, at + 16);
  at += 20;
  out.writeUInt32LE(0x06054b50, at);
  out.writeUInt16LE(Math.min(count, 0xffff), at + 8);
  out.writeUInt16LE(Math.min(count, 0xffff), at + 10);
  out.writeUInt32LE(count > 0xffff ? 0xffffffff : centralBytes, at + 12);
  out.writeUInt32LE(count > 0xffff ? 0xffffffff : centralStart, at + 16);
  return out;
}
