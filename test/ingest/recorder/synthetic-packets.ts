/**
 * Hand-made RTP/RTCP datagrams for the recorder's unit tests: structure only (headers,
 * VP8 keyframe headers, sender reports), no real media. Real media is sent by ffmpeg in
 * recorder-ffmpeg.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildSenderReport } from '../../../src/media/packetize/index.js';
import { serializeRtpPacket } from '../../../src/rtp/rtp-packet.js';

export type RtpInit = {
  readonly ssrc: number;
  readonly seq: number;
  readonly ts: number;
  readonly pt?: number;
  readonly marker?: boolean;
  readonly payload?: readonly number[];
};

/** An RTP datagram (payload type 111 and a one-byte Opus TOC payload unless given). */
export function rtp(init: RtpInit): Uint8Array {
  return serializeRtpPacket({
    payloadType: init.pt ?? 111,
    sequenceNumber: init.seq & 0xffff,
    timestamp: init.ts >>> 0,
    ssrc: init.ssrc,
    marker: init.marker ?? false,
    payload: Uint8Array.from(init.payload ?? [0xfc, 0xff, 0xfe]),
  });
}

/** A sender report compound with a CNAME. */
export function sr(ssrc: number, ntpUnixMs: number, rtpTimestamp: number): Uint8Array {
  return buildSenderReport({
    ssrc,
    ntpUnixMs,
    rtpTimestamp,
    packetCount: 1,
    octetCount: 1,
    cname: 'test',
  });
}

/** A VP8 payload (descriptor S=1, PID 0) starting a keyframe of `width`×`height`. */
export function vp8Keyframe(width: number, height: number): number[] {
  return [
    0x10,
    0x10,
    0x00,
    0x00,
    0x9d,
    0x01,
    0x2a,
    width & 0xff,
    width >>> 8,
    height & 0xff,
    height >>> 8,
    0,
    0,
  ];
}

/** A VP8 payload starting an inter frame. */
export function vp8Interframe(): number[] {
  return [0x10, 0x11, 0x00, 0x00, 0x00];
}

export async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
