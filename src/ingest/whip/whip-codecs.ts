/**
 * The codecs a WHIP session accepts, in preference order, and the payload-type helpers
 * that pick a track's media codec and its RTX repair type from what was negotiated.
 *
 * @see RFC 9725 §4.2 (WHIP media), RFC 7587 (Opus), RFC 7741 (VP8), RFC 6184 (H.264),
 *   RFC 4588 (RTX)
 */
import { RTCRtpCodecParameters, useH264, useOPUS, useVP8, useVP9 } from 'werift';

const VIDEO_FEEDBACK = [
  { type: 'nack' },
  { type: 'nack', parameter: 'pli' },
  { type: 'ccm', parameter: 'fir' },
];

/** Opus first (the only audio codec recorded). */
export function audioCodecs(): RTCRtpCodecParameters[] {
  return [useOPUS({ parameters: 'minptime=10;useinbandfec=1' })];
}

/** VP8, H.264 (constrained baseline, packetization-mode 1), VP9, AV1. */
export function videoCodecs(): RTCRtpCodecParameters[] {
  return [
    useVP8({ rtcpFeedback: VIDEO_FEEDBACK }),
    useH264({ rtcpFeedback: VIDEO_FEEDBACK }),
    useVP9({ rtcpFeedback: VIDEO_FEEDBACK }),
    new RTCRtpCodecParameters({
      mimeType: 'video/AV1',
      clockRate: 90_000,
      rtcpFeedback: VIDEO_FEEDBACK,
    }),
  ];
}

const REPAIR = new Set(['rtx', 'red', 'ulpfec', 'flexfec-03']);

/** Encoding name of a werift codec ("opus", "VP8", …), without the media type. */
export function codecName(codec: RTCRtpCodecParameters): string {
  return codec.mimeType.slice(codec.mimeType.indexOf('/') + 1);
}

/** RTX, RED and FEC never start a track: they repair one. */
export function isRepairCodec(codec: RTCRtpCodecParameters): boolean {
  return REPAIR.has(codecName(codec).toLowerCase());
}

/** `a=fmtp` parameters `k=v;k=v` as a record (keys as written). */
export function parseFmtp(parameters: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (parameters ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

/** The RTX payload type whose `apt` is `payloadType`, if negotiated. */
export function rtxFor(
  codecs: readonly RTCRtpCodecParameters[],
  payloadType: number,
): number | undefined {
  return codecs.find(
    (c) =>
      codecName(c).toLowerCase() === 'rtx' &&
      parseFmtp(c.parameters)['apt'] === String(payloadType),
  )?.payloadType;
}
