/**
 * Tiny writers and capture tools for judging depacketizer output with ffmpeg: IVF (VP8/VP9),
 * H.264 Annex B from AVCC frames, AV1 low-overhead files, an ffmpeg RTP capture over a
 * loopback UDP socket, and a minimal AV1 RTP packetizer (ffmpeg 5.1 cannot send AV1 RTP).
 */
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { promisify } from 'node:util';
import type { EncodedFrame } from '../../../../src/media/types.js';
import { aggregation, leb128 } from './codec.js';

const execFileAsync = promisify(execFile);

/** IVF: 32-byte file header, then per frame a 12-byte header (size LE u32, pts LE u64). */
export function writeIvf(
  frames: readonly EncodedFrame[],
  fourcc: 'VP80' | 'VP90',
  width: number,
  height: number,
): Uint8Array {
  const size = 32 + frames.reduce((n, f) => n + 12 + f.data.length, 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  out.set([0x44, 0x4b, 0x49, 0x46], 0); // DKIF
  v.setUint16(4, 0, true);
  v.setUint16(6, 32, true);
  out.set(
    [...fourcc].map((c) => c.charCodeAt(0)),
    8,
  );
  v.setUint16(12, width, true);
  v.setUint16(14, height, true);
  v.setUint32(16, 90_000, true);
  v.setUint32(20, 1, true);
  v.setUint32(24, frames.length, true);
  let pos = 32;
  const first = frames[0]?.timestampTicks ?? 0;
  for (const f of frames) {
    v.setUint32(pos, f.data.length, true);
    v.setUint32(pos + 4, f.timestampTicks - first, true);
    v.setUint32(pos + 8, 0, true);
    out.set(f.data, pos + 12);
    pos += 12 + f.data.length;
  }
  return out;
}

/** SPS and PPS NAL units listed in an AVCDecoderConfigurationRecord. */
export function parameterSets(record: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let pos = 5;
  const spsCount = record[pos++]! & 0x1f;
  for (let i = 0; i < spsCount; i++) {
    const len = (record[pos]! << 8) | record[pos + 1]!;
    out.push(record.subarray(pos + 2, pos + 2 + len));
    pos += 2 + len;
  }
  const ppsCount = record[pos++]!;
  for (let i = 0; i < ppsCount; i++) {
    const len = (record[pos]! << 8) | record[pos + 1]!;
    out.push(record.subarray(pos + 2, pos + 2 + len));
    pos += 2 + len;
  }
  return out;
}

/** Annex B stream: start codes; SPS/PPS from the keyframe's record before each keyframe. */
export function annexB(frames: readonly EncodedFrame[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const startCode = Uint8Array.of(0, 0, 0, 1);
  for (const f of frames) {
    if (f.keyframe && f.codecDescription) {
      for (const ps of parameterSets(f.codecDescription)) parts.push(startCode, ps);
    }
    let pos = 0;
    const v = new DataView(f.data.buffer, f.data.byteOffset, f.data.byteLength);
    while (pos < f.data.length) {
      const len = v.getUint32(pos);
      parts.push(startCode, f.data.subarray(pos + 4, pos + 4 + len));
      pos += 4 + len;
    }
  }
  return concat(parts);
}

/** AV1 low-overhead file for ffmpeg's obu demuxer: a temporal delimiter before each unit. */
export function av1File(frames: readonly EncodedFrame[]): Uint8Array {
  return concat(frames.flatMap((f) => [Uint8Array.of(0x12, 0x00), f.data]));
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/**
 * Runs ffmpeg with `args` sending RTP to a loopback socket bound here (RTCP to the same
 * port) and returns the RTP packets in arrival order. The end is detected without timing:
 * after ffmpeg exits, a sentinel datagram sent here queues behind everything it sent.
 */
export async function captureFfmpegRtp(
  args: readonly string[],
  pktSize: number,
): Promise<Uint8Array[]> {
  const socket = dgram.createSocket('udp4');
  const sender = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    socket.setRecvBufferSize(8 * 1024 * 1024);
    const port = socket.address().port;
    const sentinel = Buffer.from('tapedeck-capture-end');
    const packets: Uint8Array[] = [];
    const done = new Promise<void>((resolve) => {
      socket.on('message', (msg) => {
        if (msg.equals(sentinel)) resolve();
        else if (!(msg[1]! >= 200 && msg[1]! <= 204)) packets.push(new Uint8Array(msg));
      });
    });
    await execFileAsync('ffmpeg', [
      '-v',
      'error',
      ...args,
      '-f',
      'rtp',
      `rtp://127.0.0.1:${port}?rtcpport=${port}&pkt_size=${pktSize}`,
    ]);
    await new Promise<void>((resolve, reject) =>
      sender.send(sentinel, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
    );
    await done;
    return packets;
  } finally {
    socket.close();
    sender.close();
  }
}

/** Runs `ffmpeg -v error -i file -f null -` and returns what it printed (empty = clean decode). */
export async function decodeErrors(file: string, inputFormat?: string): Promise<string> {
  const { stdout, stderr } = await execFileAsync('ffmpeg', [
    '-v',
    'error',
    ...(inputFormat ? ['-f', inputFormat] : []),
    '-i',
    file,
    '-f',
    'null',
    '-',
  ]);
  return stdout + stderr;
}

/** Splits a low-overhead AV1 file into temporal units of RTP OBU elements (no size field, no TD). */
export function av1TemporalUnits(file: Uint8Array): Uint8Array[][] {
  const units: Uint8Array[][] = [];
  let pos = 0;
  while (pos < file.length) {
    const header = file[pos]!;
    const ext = (header & 0x04) !== 0 ? 1 : 0;
    let p = pos + 1 + ext;
    let size = 0;
    let shift = 0;
    for (;;) {
      const b = file[p++]!;
      size |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    const type = (header >> 3) & 0x0f;
    if (type === 2) units.push([]);
    else
      units[units.length - 1]!.push(
        Uint8Array.from([
          header & ~0x02,
          ...file.subarray(pos + 1, pos + 1 + ext),
          ...file.subarray(p, p + size),
        ]),
      );
    pos = p + size;
  }
  return units;
}

/** Packs one temporal unit's OBU elements into RTP payloads of at most `mtu` bytes (W = 0, fragmenting). */
export function packetizeAv1(elements: readonly Uint8Array[], mtu: number): Uint8Array[] {
  const newSequence = elements.some((e) => ((e[0]! >> 3) & 0x0f) === 1);
  const out: Uint8Array[] = [];
  let parts: number[] = [];
  let size = 1;
  let z = false;
  const flush = (y: boolean): void => {
    out.push(Uint8Array.from([aggregation(z, y, 0, newSequence && out.length === 0), ...parts]));
    parts = [];
    size = 1;
    z = y;
  };
  for (const e of elements) {
    let rest = e;
    for (;;) {
      const room = mtu - size - 2;
      if (rest.length <= room) {
        parts.push(...leb128(rest.length), ...rest);
        size += 2 + rest.length;
        break;
      }
      if (room > 0) {
        parts.push(...leb128(room), ...rest.subarray(0, room));
        rest = rest.subarray(room);
        flush(true);
      } else {
        flush(false);
      }
    }
  }
  if (parts.length > 0) flush(false);
  return out;
}
