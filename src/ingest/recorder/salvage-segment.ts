/**
 * Salvages one segment a killed recorder left behind: reads its rtpdump with the project's
 * reader, cuts the file after the last complete record (a tail written halfway, or
 * anything after the first malformed record), and re-runs the timing tracker over the
 * records kept, exactly as the recorder ran it live (arrival = file start + record offset;
 * RTX and FEC payload types do not count).
 */
import { stat, truncate } from 'node:fs/promises';
import type { SegmentTiming, TrackType } from '../../archive/types.js';
import { ParseError, TapedeckError } from '../../errors.js';
import { parseRtpPacket, type RtpPacket } from '../../rtp/rtp-packet.js';
import { RTPDUMP_RECORD_HEADER_BYTES } from '../../rtpdump/core/rtpdump-format.js';
import { openRtpdump, type RtpdumpFile } from '../../rtpdump/read-rtpdump.js';
import { SegmentTimingTracker } from './segment-timing-tracker.js';
import type { TrackCodec } from './track-codec.js';

export type SalvageIdentity = {
  readonly baseFilename: string;
  readonly codec: TrackCodec;
  readonly trackId: string;
  readonly trackType: TrackType;
};

export type SalvagedSegment = {
  readonly timing: SegmentTiming;
  /** Bytes cut from the end of the rtpdump (0 when it ended on a record boundary). */
  readonly truncatedBytes: number;
};

/**
 * Salvages the rtpdump at `file`. Undefined when nothing usable is in it (the file ends
 * inside its header, or holds no complete RTP packet of the codec): the caller removes the
 * segment. Throws only I/O errors.
 */
export async function salvageSegment(
  file: string,
  id: SalvageIdentity,
): Promise<SalvagedSegment | undefined> {
  const size = (await stat(file)).size;
  let rtpdump: RtpdumpFile;
  try {
    rtpdump = await openRtpdump(file);
  } catch (error) {
    if (error instanceof ParseError) return undefined;
    throw error;
  }
  const { header } = rtpdump;
  const startMs = header.startSeconds * 1000 + Math.floor(header.startMicroseconds / 1000);
  const tracker = new SegmentTimingTracker({
    baseFilename: id.baseFilename,
    codec: id.codec.tracked,
    trackId: id.trackId,
    trackType: id.trackType,
  });
  let end = 0;
  try {
    for await (const record of rtpdump.records()) {
      end = record.fileOffset + RTPDUMP_RECORD_HEADER_BYTES + record.packet.byteLength;
      feed(tracker, id.codec, record.packet, record.isRtcp, startMs + record.offsetMs);
    }
  } catch (error) {
    // Records before the damage were all delivered: keep them, cut the rest.
    if (!(error instanceof ParseError)) throw error;
  }
  if (tracker.rtpPackets === 0) return undefined;
  if (end < size) await truncate(file, end);
  return { timing: tracker.finish(), truncatedBytes: size - end };
}

function feed(
  tracker: SegmentTimingTracker,
  codec: TrackCodec,
  packet: Uint8Array,
  isRtcp: boolean,
  arrivalMs: number,
): void {
  if (isRtcp) {
    try {
      tracker.addRtcp(packet);
    } catch (error) {
      if (!(error instanceof TapedeckError)) throw error;
    }
    return;
  }
  let rtp: RtpPacket;
  try {
    rtp = parseRtpPacket(packet);
  } catch {
    return;
  }
  if (!codec.repair.has(rtp.payloadType)) tracker.addRtp(rtp, arrivalMs);
}
