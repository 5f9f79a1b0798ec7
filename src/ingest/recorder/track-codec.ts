/**
 * A track's codec as the recorder needs it (which payload types are the media, which are
 * repair streams), and the SDP written next to each segment's rtpdump. The segment SDP
 * carries the track's identity in two attributes, so a recording whose metadata was never
 * written (a killed process) can be rebuilt from its files alone:
 *
 * ```
 * m=video 5006 RTP/AVP 96 97
 * a=rtpmap:96 VP8/90000
 * a=rtpmap:97 rtx/90000
 * a=fmtp:97 apt=96
 * a=x-tapedeck-track-id:cam-1                 the track id, as given
 * a=x-tapedeck-track-type:TRACK_TYPE_VIDEO    the timing metadata's track_type
 * a=ssrc:1234 cname:tapedeck                  the segment's media SSRC
 * ```
 * @see RFC 8866 §5.13 (attributes unknown to a reader are ignored), RFC 4588 (RTX)
 */
import type { TrackType } from '../../archive/types.js';
import { TRACK_TYPES } from '../../archive/timing-metadata.js';
import { TapedeckError } from '../../errors.js';
import { buildRecordingSdp } from '../../sdp/build-recording-sdp.js';
import { parseSdp } from '../../sdp/parse-sdp.js';
import { resolveCodec } from '../../sdp/resolve-codec.js';
import { serializeSdp } from '../../sdp/serialize-sdp.js';
import type { MediaDescription, ResolvedCodec, SessionDescription } from '../../sdp/types.js';
import type { TrackedCodec } from './segment-timing-tracker.js';
import type { TrackCodecParams, TrackEndpoint } from './types.js';

export const TRACK_ID_ATTRIBUTE = 'x-tapedeck-track-id';
export const TRACK_TYPE_ATTRIBUTE = 'x-tapedeck-track-type';

const TRACKED: Readonly<Record<string, TrackedCodec>> = {
  opus: 'opus',
  VP8: 'VP8',
  VP9: 'VP9',
  H264: 'H264',
  AV1: 'AV1',
};

/** Media-level lines kept from a negotiated SDP (transport lines such as ICE and DTLS are not). */
const KEPT_ATTRIBUTES = new Set([
  'rtcp-fb',
  'extmap',
  'extmap-allow-mixed',
  'rtcp-mux',
  'rtcp-rsize',
  'ptime',
  'maxptime',
  'framerate',
]);

export type TrackCodec = {
  readonly kind: 'audio' | 'video';
  readonly resolved: ResolvedCodec;
  readonly tracked: TrackedCodec;
  /** RTX and FEC payload types: recorded, but they never start a segment nor feed its timing. */
  readonly repair: ReadonlySet<number>;
  /** From `sdpText`: the session and the section to write (codec payload type first). */
  readonly negotiated:
    { readonly session: SessionDescription; readonly section: MediaDescription } | undefined;
};

function isResolved(codec: ResolvedCodec | TrackCodecParams): codec is ResolvedCodec {
  return 'mimeType' in codec && codec.rtx instanceof Map;
}

function fromParams(kind: 'audio' | 'video', p: TrackCodecParams): ResolvedCodec {
  if (typeof p !== 'object' || p === null || typeof p.name !== 'string') {
    throw new TypeError('options.codec must be a ResolvedCodec or { name, payloadType, … }');
  }
  const bare = p.name.slice(p.name.indexOf('/') + 1).toLowerCase();
  const text = buildRecordingSdp({
    kind,
    codec: p.name,
    payloadType: p.payloadType,
    clockRate: p.clockRate ?? (bare === 'opus' ? 48_000 : 90_000),
    channels: p.channels,
    fmtp: p.fmtp,
    rtx: p.rtxPayloadType === undefined ? undefined : { payloadType: p.rtxPayloadType },
  });
  try {
    return resolveCodec(parseSdp(text).media[0]!);
  } catch (error) {
    if (error instanceof TapedeckError)
      throw new RangeError(`options.codec: ${error.message}`, { cause: error });
    throw error;
  }
}

/** The section with `payloadType` first in m= order, so it resolves as the primary codec. */
function negotiatedSection(
  kind: string,
  sdpText: string,
  payloadType: number,
): { session: SessionDescription; section: MediaDescription } {
  if (typeof sdpText !== 'string') throw new TypeError('options.sdpText must be a string');
  const session = parseSdp(sdpText);
  const media = session.media.find(
    (m) => m.media.toLowerCase() === kind && m.formats.includes(payloadType),
  );
  if (media === undefined) {
    throw new RangeError(
      `options.sdpText has no m=${kind} section listing payload type ${payloadType}`,
    );
  }
  const formats = [payloadType, ...media.formats.filter((pt) => pt !== payloadType)];
  const attributes = media.attributes.filter(([name]) => KEPT_ATTRIBUTES.has(name));
  return { session, section: { ...media, formats, attributes, ssrcs: [], ssrcGroups: [] } };
}

/**
 * Resolves a track's codec from `codec` (and `sdpText`, which then supplies RTX/RED/FEC
 * payload types). Throws RangeError/TypeError naming the option for anything the recorder
 * or the toolkit could not use (codecs other than opus, VP8, VP9, H264, AV1; a codec of the
 * other kind; an SDP without the codec's payload type).
 */
export function resolveTrackCodec(
  kind: 'audio' | 'video',
  codec: ResolvedCodec | TrackCodecParams,
  sdpText: string | undefined,
): TrackCodec {
  if (kind !== 'audio' && kind !== 'video')
    throw new RangeError(`options.kind must be "audio" or "video", got ${JSON.stringify(kind)}`);
  let resolved = isResolved(codec) ? codec : fromParams(kind, codec);
  let negotiated: TrackCodec['negotiated'];
  if (sdpText !== undefined) {
    negotiated = negotiatedSection(kind, sdpText, resolved.payloadType);
    try {
      resolved = resolveCodec(negotiated.section);
    } catch (error) {
      if (error instanceof TapedeckError)
        throw new RangeError(`options.sdpText: ${error.message}`, { cause: error });
      throw error;
    }
  }
  const tracked = TRACKED[resolved.name];
  if (tracked === undefined || !resolved.mimeType.startsWith(`${kind}/`)) {
    throw new RangeError(
      `options.codec must be opus (audio) or VP8, VP9, H264, AV1 (video) for ${kind === 'audio' ? 'an audio' : 'a video'} track, got ${resolved.mimeType}`,
    );
  }
  const repair = new Set([...resolved.rtx.keys(), ...resolved.fecPayloadTypes]);
  return { kind, resolved, tracked, repair, negotiated };
}

export type SegmentSdpInit = {
  readonly trackId: string;
  readonly trackType: TrackType;
  readonly ssrc: number;
  readonly endpoint: TrackEndpoint;
};

/** Adds RED and further RTX payload types, which buildRecordingSdp does not write. */
function withRepairTypes(media: MediaDescription, c: ResolvedCodec): MediaDescription {
  const formats = [...media.formats];
  const rtpmaps = new Map(media.rtpmaps);
  const fmtps = new Map(media.fmtps);
  const channels = media.media === 'audio' ? c.channels : undefined;
  if (c.redPayloadType !== undefined && !rtpmaps.has(c.redPayloadType)) {
    formats.push(c.redPayloadType);
    rtpmaps.set(c.redPayloadType, {
      payloadType: c.redPayloadType,
      encodingName: 'red',
      clockRate: c.clockRate,
      channels,
    });
  }
  for (const [pt, apt] of c.rtx) {
    if (rtpmaps.has(pt)) continue;
    formats.push(pt);
    rtpmaps.set(pt, {
      payloadType: pt,
      encodingName: 'rtx',
      clockRate: c.clockRate,
      channels: undefined,
    });
    fmtps.set(pt, new Map([['apt', String(apt)]]));
  }
  return { ...media, formats, rtpmaps, fmtps };
}

/** The SDP written next to a segment's rtpdump (see the module comment). */
export function segmentSdp(codec: TrackCodec, init: SegmentSdpInit): string {
  const c = codec.resolved;
  let session: SessionDescription;
  let media: MediaDescription;
  if (codec.negotiated !== undefined) {
    const { session: s, section } = codec.negotiated;
    session = {
      version: 0,
      origin: s.origin,
      sessionName: 'tapedeck',
      connection: s.connection,
      attributes: [['tool', 'tapedeck']],
      media: [],
    };
    media = section;
  } else {
    const firstRtx = [...c.rtx].find(([, apt]) => apt === c.payloadType)?.[0];
    const built = buildRecordingSdp({
      kind: codec.kind,
      codec: c.name,
      payloadType: c.payloadType,
      clockRate: c.clockRate,
      channels: codec.kind === 'audio' ? c.channels : undefined,
      fmtp: c.fmtp,
      rtx: firstRtx === undefined ? undefined : { payloadType: firstRtx },
      address: init.endpoint.address,
      port: init.endpoint.port,
    });
    session = parseSdp(built);
    media = withRepairTypes(session.media[0]!, c);
  }
  const attributes: (readonly [string, string | undefined])[] = [
    ...media.attributes,
    [TRACK_ID_ATTRIBUTE, init.trackId],
    [TRACK_TYPE_ATTRIBUTE, init.trackType],
  ];
  const ssrcs = [{ ssrc: init.ssrc, attribute: 'cname', value: 'tapedeck' }];
  return serializeSdp({ ...session, media: [{ ...media, attributes, ssrcs, ssrcGroups: [] }] });
}

/** What a segment SDP written by `segmentSdp` says; track id and type undefined when absent. */
export type SegmentSdpInfo = {
  readonly codec: TrackCodec;
  readonly trackId: string | undefined;
  readonly trackType: TrackType | undefined;
};

/** Reads a segment SDP back (recovery). Throws the SDP parser's or resolver's TapedeckError. */
export function readSegmentSdp(text: string): SegmentSdpInfo {
  const media = parseSdp(text).media[0];
  const kind = media?.media.toLowerCase();
  if (media === undefined || (kind !== 'audio' && kind !== 'video')) {
    throw new TapedeckError('SDP_INVALID', 'the first media section is not audio or video');
  }
  const resolved = resolveCodec(media);
  const tracked = TRACKED[resolved.name];
  if (tracked === undefined)
    throw new TapedeckError('UNSUPPORTED_CODEC', `codec ${resolved.mimeType} is not recorded`);
  const attr = (name: string): string | undefined =>
    media.attributes.find(([n]) => n === name)?.[1];
  const type = attr(TRACK_TYPE_ATTRIBUTE);
  return {
    codec: {
      kind,
      resolved,
      tracked,
      repair: new Set([...resolved.rtx.keys(), ...resolved.fecPayloadTypes]),
      negotiated: undefined,
    },
    trackId: attr(TRACK_ID_ATTRIBUTE),
    trackType: (TRACK_TYPES as readonly (string | undefined)[]).includes(type)
      ? (type as TrackType)
      : undefined,
  };
}
