/**
 * Test helpers for the gap fillers: tiny container writers (IVF for VP8, Annex B for H.264)
 * and ffmpeg/ffprobe as the judge of what a real decoder makes of our frames.
 */
import { spawnSync } from 'node:child_process';

/** IVF: 32-byte file header, then per frame a 12-byte header (size, pts) and the frame. */
export function ivf(width: number, height: number, frames: readonly Uint8Array[]): Uint8Array {
  const header = Buffer.alloc(32);
  header.write('DKIF', 0, 'latin1');
  header.writeUInt16LE(0, 4); // version
  header.writeUInt16LE(32, 6); // header size
  header.write('VP80', 8, 'latin1');
  header.writeUInt16LE(width, 12);
  header.writeUInt16LE(height, 14);
  header.writeUInt32LE(30, 16); // time base denominator (rate)
  header.writeUInt32LE(1, 20); // numerator (scale)
  header.writeUInt32LE(frames.length, 24);
  const parts: Buffer[] = [header];
  frames.forEach((frame, pts) => {
    const fh = Buffer.alloc(12);
    fh.writeUInt32LE(frame.byteLength, 0);
    fh.writeUInt32LE(pts, 4);
    parts.push(fh, Buffer.from(frame));
  });
  return Buffer.concat(parts);
}

/** AVCC access units (4-byte lengths) → one Annex B byte stream. */
export function annexB(accessUnits: readonly Uint8Array[]): Uint8Array {
  const parts: Buffer[] = [];
  for (const au of accessUnits) {
    const view = new DataView(au.buffer, au.byteOffset, au.byteLength);
    for (let pos = 0; pos < au.byteLength;) {
      const n = view.getUint32(pos);
      parts.push(Buffer.from([0, 0, 0, 1]), Buffer.from(au.subarray(pos + 4, pos + 4 + n)));
      pos += 4 + n;
    }
  }
  return Buffer.concat(parts);
}

export type Decoded = { stdout: Buffer; stderr: string; status: number | null };

/** Decodes `file` to raw yuv420p with ffmpeg; `decoder` forces one (e.g. libvpx). */
export function decodeYuv420p(file: string, decoder?: string): Decoded {
  const args = ['-nostdin', '-v', 'warning'];
  if (decoder) args.push('-c:v', decoder);
  args.push('-i', file, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-');
  const r = spawnSync('ffmpeg', args, { maxBuffer: 1 << 28 });
  // The rawvideo *encoder* warns when a tiny picture makes its bitrate below 1 kbit/s; that
  // line says nothing about the input, every other warning does.
  const stderr = r.stderr
    .toString()
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('The bitrate parameter is set too low'))
    .join('\n');
  return { stdout: r.stdout, stderr, status: r.status };
}

export type Probed = { codec_name: string; width: number; height: number; profile?: string };

export function probeVideo(file: string): Probed {
  const r = spawnSync('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=codec_name,width,height,profile',
    '-of',
    'json',
    file,
  ]);
  if (r.status !== 0) throw new Error(`ffprobe failed: ${r.stderr.toString()}`);
  const parsed = JSON.parse(r.stdout.toString()) as { streams: Probed[] };
  const stream = parsed.streams[0];
  if (!stream) throw new Error('ffprobe found no video stream');
  return stream;
}

/** Sample value histogram of one plane range: value → count. */
export function histogram(bytes: Uint8Array): Map<number, number> {
  const counts = new Map<number, number>();
  for (const b of bytes) counts.set(b, (counts.get(b) ?? 0) + 1);
  return counts;
}

/**
 * Splits raw yuv420p output into per-frame Y, U and V planes and checks that every luma
 * sample is `y` and every chroma sample is `uv`. Returns the number of frames, or a
 * description of the first mismatch.
 */
export function checkSolidYuv420p(
  raw: Uint8Array,
  width: number,
  height: number,
  y: number,
  uv: number,
): number | string {
  const ySize = width * height;
  const cSize = Math.ceil(width / 2) * Math.ceil(height / 2);
  const frameSize = ySize + 2 * cSize;
  if (raw.byteLength === 0 || raw.byteLength % frameSize !== 0) {
    return `${raw.byteLength} bytes is not a whole number of ${width}×${height} frames (${frameSize} bytes)`;
  }
  for (let f = 0; f < raw.byteLength / frameSize; f++) {
    const base = f * frameSize;
    for (let i = 0; i < frameSize; i++) {
      const want = i < ySize ? y : uv;
      if (raw[base + i] !== want) {
        return `frame ${f}, ${i < ySize ? 'luma' : 'chroma'} sample ${i} is ${raw[base + i]}, want ${want}`;
      }
    }
  }
  return raw.byteLength / frameSize;
}
