import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * rtptools' own sample rtpdump (test/fixtures/rtptools-bark.rtp, copied from the shared
 * root; see the README there for its origin). Values below were read from its bytes.
 */
export const BARK_PATH = fileURLToPath(
  new URL('../fixtures/rtptools-bark.rtp', import.meta.url),
);

export async function readBark(): Promise<Uint8Array> {
  return new Uint8Array(await readFile(BARK_PATH));
}

export const BARK = {
  size: 2823,
  headerLine: '#!rtpplay1.0 0.0.0.0/20000\n',
  recordCount: 16,
  rtpCount: 15,
  ssrc: 0x00059c72,
  firstSequence: 54553,
  firstTimestamp: 3988999488,
  /** File offset of the record header of the only RTCP record (the second record). */
  rtcpFileOffset: 223,
  /** File offsets of every record header, in order. */
  recordOffsets: [43, 223, 303, ...Array.from({ length: 13 }, (_, i) => 483 + i * 180)],
} as const;
