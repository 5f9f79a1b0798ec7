/**
 * Picks the codec a media section carries from its payload types, the way a receiver does:
 * by rtpmap (or the RFC 3551 static table), never by searching the text for a codec name.
 *
 * ```
 * m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100
 * a=rtpmap:96 VP8/90000        ← primary: first known codec in m= order
 * a=rtpmap:97 rtx/90000
 * a=fmtp:97 apt=96             ← rtx 97 repairs 96
 * a=rtpmap:98 red/90000        ← RED for the codec (same clock, or fmtp listing 96)
 * a=rtpmap:99 rtx/90000
 * a=fmtp:99 apt=98             ← rtx for RED, kept too
 * a=rtpmap:100 ulpfec/90000    ← FEC: listed, never chosen
 * ```
 *
 * Skipped when choosing: rtx, red, ulpfec, flexfec (any version), CN, telephone-event, and
 * encodings that are unknown or belong to the other media kind. Known: opus, PCMU, PCMA
 * (audio); VP8, VP9, H264, AV1 (video), matched case-insensitively and returned in
 * canonical case ("AV1X", Chrome's pre-standard name, maps to AV1).
 *
 * `channels` is the rtpmap's channel count for audio (default 1; Opus always says 2, RFC
 * 7587 §7) and 0 for video. `rtx` holds every RTX payload type whose apt is the primary or
 * its RED payload type.
 *
 * Throws `TapedeckError('UNSUPPORTED_CODEC', …)` when no payload type has a known codec.
 *
 * @see RFC 3551 §6 (static payload types), RFC 4588 (RTX, apt), RFC 2198 (RED),
 *      RFC 5109 (ULPFEC), RFC 8627 (FlexFEC), RFC 7587 (Opus), RFC 6184 (H.264)
 */
import { TapedeckError } from '../errors.js';
import type { MediaDescription, ResolvedCodec, RtpMap } from './types.js';
import { MAX_PAYLOAD_TYPE, parseUint } from './sdp-values.js';

type KnownCodec = { readonly name: string; readonly kind: 'audio' | 'video' };

const KNOWN_CODECS: ReadonlyMap<string, KnownCodec> = new Map([
  ['opus', { name: 'opus', kind: 'audio' }],
  ['pcmu', { name: 'PCMU', kind: 'audio' }],
  ['pcma', { name: 'PCMA', kind: 'audio' }],
  ['vp8', { name: 'VP8', kind: 'video' }],
  ['vp9', { name: 'VP9', kind: 'video' }],
  ['h264', { name: 'H264', kind: 'video' }],
  ['av1', { name: 'AV1', kind: 'video' }],
  ['av1x', { name: 'AV1', kind: 'video' }],
]);

/** RFC 3551 static payload types a receiver meets without an rtpmap. */
const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, RtpMap> = new Map([
  [0, { payloadType: 0, encodingName: 'PCMU', clockRate: 8000, channels: 1 }],
  [8, { payloadType: 8, encodingName: 'PCMA', clockRate: 8000, channels: 1 }],
  [9, { payloadType: 9, encodingName: 'G722', clockRate: 8000, channels: 1 }],
  [13, { payloadType: 13, encodingName: 'CN', clockRate: 8000, channels: 1 }],
]);

const NEVER_PRIMARY = new Set(['rtx', 'red', 'ulpfec', 'cn', 'telephone-event']);

function isFec(name: string): boolean {
  return name === 'ulpfec' || name.startsWith('flexfec');
}

function rtpmapOf(media: MediaDescription, payloadType: number): RtpMap | undefined {
  return media.rtpmaps.get(payloadType) ?? STATIC_PAYLOAD_TYPES.get(payloadType);
}

/** Payload types in m= order, then payload types that have only an rtpmap, ascending. */
function payloadTypes(media: MediaDescription): number[] {
  const listed = [...new Set(media.formats)];
  const extra = [...media.rtpmaps.keys()]
    .filter((pt) => !listed.includes(pt))
    .sort((a, b) => a - b);
  return [...listed, ...extra];
}

/** RED's fmtp (`a=fmtp:63 111/111`) lists the payload types it carries; none listed means any. */
function redCarries(media: MediaDescription, redPt: number, primary: number): boolean {
  const params = media.fmtps.get(redPt);
  const list = params
    ? [...params.keys()].find((key) => /^\d{1,3}(\/\d{1,3})*$/.test(key))
    : undefined;
  return list === undefined || list.split('/').some((pt) => Number(pt) === primary);
}

function describe(media: MediaDescription): string {
  const pts = payloadTypes(media).slice(0, 8);
  const described = pts.map((pt) => {
    const map = rtpmapOf(media, pt);
    return map ? `${pt} ${map.encodingName}/${map.clockRate}` : `${pt} (no rtpmap)`;
  });
  const more = payloadTypes(media).length > pts.length ? ', …' : '';
  return described.length === 0
    ? 'no payload types'
    : `payload types ${described.join(', ')}${more}`;
}

/** Resolves the primary codec of one media section (see the module comment). */
export function resolveCodec(media: MediaDescription): ResolvedCodec {
  const kind = media.media.toLowerCase();
  const ordered = payloadTypes(media);
  let primary: { pt: number; map: RtpMap; known: KnownCodec } | undefined;
  for (const pt of ordered) {
    const map = rtpmapOf(media, pt);
    if (!map) continue;
    const name = map.encodingName.toLowerCase();
    if (NEVER_PRIMARY.has(name) || isFec(name)) continue;
    const known = KNOWN_CODECS.get(name);
    if (known && known.kind === kind) {
      primary = { pt, map, known };
      break;
    }
  }
  if (!primary) {
    throw new TapedeckError(
      'UNSUPPORTED_CODEC',
      `no supported codec in m=${media.media} section (${describe(media)})`,
    );
  }
  const { pt: payloadType, map, known } = primary;

  let redPayloadType: number | undefined;
  const fecPayloadTypes: number[] = [];
  for (const pt of ordered) {
    const candidate = rtpmapOf(media, pt);
    if (!candidate) continue;
    const name = candidate.encodingName.toLowerCase();
    if (isFec(name)) fecPayloadTypes.push(pt);
    if (
      name === 'red' &&
      redPayloadType === undefined &&
      candidate.clockRate === map.clockRate &&
      redCarries(media, pt, payloadType)
    ) {
      redPayloadType = pt;
    }
  }

  const rtx = new Map<number, number>();
  for (const pt of ordered) {
    if (rtpmapOf(media, pt)?.encodingName.toLowerCase() !== 'rtx') continue;
    const apt = parseUint(media.fmtps.get(pt)?.get('apt') ?? '', MAX_PAYLOAD_TYPE);
    if (apt !== undefined && (apt === payloadType || apt === redPayloadType)) rtx.set(pt, apt);
  }

  return {
    payloadType,
    name: known.name,
    mimeType: `${known.kind}/${known.name}`,
    clockRate: map.clockRate,
    channels: known.kind === 'audio' ? (map.channels ?? 1) : 0,
    fmtp: media.fmtps.get(payloadType) ?? new Map<string, string>(),
    rtx,
    redPayloadType,
    fecPayloadTypes,
  };
}
