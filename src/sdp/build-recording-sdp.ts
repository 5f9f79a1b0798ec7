/**
 * The SDP the recorder writes next to each segment's rtpdump: shaped like the SDP ffmpeg's
 * RTP sender writes (`ffmpeg … -f rtp -sdp_file x.sdp`), so that replaying the rtpdump to
 * the SDP's address and port (rtptools' `rtpplay`) plays in ffplay/ffmpeg as well.
 *
 * ```
 * v=0
 * o=- 0 0 IN IP4 127.0.0.1
 * s=tapedeck
 * c=IN IP4 127.0.0.1
 * t=0 0
 * a=tool:tapedeck
 * m=audio 5004 RTP/AVP 111             (payload type, then the RTX payload type if any)
 * a=rtpmap:111 opus/48000/2
 * a=fmtp:111 sprop-stereo=1
 * a=rtpmap:112 rtx/48000               (with rtx)
 * a=fmtp:112 apt=111
 * a=ssrc-group:FID 1111 2222           (with ssrc and rtx.ssrc)
 * a=ssrc:2222 cname:tapedeck           (RTX first: ffmpeg keeps the last a=ssrc it reads)
 * a=ssrc:1111 cname:tapedeck
 * ```
 *
 * @see RFC 8866, RFC 4588 §8 (rtx rtpmap and apt), RFC 5576 (a=ssrc, FID groups)
 */
import type { MediaDescription, RtpMap, SsrcAttribute, SsrcGroup } from './types.js';
import { serializeSdp } from './serialize-sdp.js';
import { MAX_CHANNELS, MAX_PAYLOAD_TYPE, MAX_PORT, MAX_SSRC } from './sdp-values.js';

export type RecordingSdpOptions = {
  readonly kind: 'audio' | 'video';
  /** Encoding name as it goes into the rtpmap ("opus", "VP8", "VP9", "H264", "AV1", "PCMU", …), or a MIME type ("audio/opus"). */
  readonly codec: string;
  /** 0..127. */
  readonly payloadType: number;
  /** Ticks per second, e.g. 48000 (Opus), 90000 (video). */
  readonly clockRate: number;
  /** Audio only: the rtpmap channel count. Default: 2 for Opus (RFC 7587 always says 2), else 1. Ignored for video. */
  readonly channels?: number | undefined;
  /** fmtp parameters for the payload type, e.g. `{ 'sprop-stereo': '1' }`. Default: none (no a=fmtp line). */
  readonly fmtp?: ReadonlyMap<string, string> | Readonly<Record<string, string>> | undefined;
  /** RTX (RFC 4588) payload type, and its SSRC when known. Default: no RTX. */
  readonly rtx?: { readonly payloadType: number; readonly ssrc?: number | undefined } | undefined;
  /** The media SSRC, written as `a=ssrc:<ssrc> cname:<cname>`. Default: no a=ssrc lines. */
  readonly ssrc?: number | undefined;
  /** Destination IPv4 address in o= and c=. Default "127.0.0.1". */
  readonly address?: string | undefined;
  /** Destination port in m=. Default 5004 (audio), 5006 (video). */
  readonly port?: number | undefined;
  /** CNAME for the a=ssrc lines (any text without control characters). Default "tapedeck". */
  readonly cname?: string | undefined;
};

function checkRange(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `options.${name} must be an integer in ${min}..${max}, got ${String(value)}`,
    );
  }
  return value;
}

function checkToken(name: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9._-]+$/.test(value)) {
    throw new TypeError(
      `options.${name} must be a non-empty token (letters, digits, . _ -), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function encodingName(options: RecordingSdpOptions): string {
  const codec: unknown = options.codec;
  if (typeof codec !== 'string') throw new TypeError('options.codec must be a string');
  const slash = codec.indexOf('/');
  if (slash < 0) return checkToken('codec', codec);
  const kind = codec.slice(0, slash).toLowerCase();
  if (kind !== options.kind) {
    throw new RangeError(`options.codec ${JSON.stringify(codec)} is not a ${options.kind} type`);
  }
  return checkToken('codec', codec.slice(slash + 1));
}

function fmtpMap(fmtp: RecordingSdpOptions['fmtp']): ReadonlyMap<string, string> | undefined {
  if (fmtp === undefined) return undefined;
  const entries =
    fmtp instanceof Map ? [...(fmtp as ReadonlyMap<string, string>)] : Object.entries(fmtp);
  const params = new Map<string, string>();
  for (const [key, value] of entries) {
    if (
      !/^[A-Za-z0-9._-]+$/.test(key) ||
      typeof value !== 'string' ||
      /[;\r\n]/.test(value) ||
      value.trim() !== value
    ) {
      throw new RangeError(
        `options.fmtp ${JSON.stringify(key)} must be a token mapped to a string without ";" or line breaks`,
      );
    }
    params.set(key.toLowerCase(), value);
  }
  return params.size === 0 ? undefined : params;
}

/** Builds the one-media SDP for a recorded segment (see the module comment). */
export function buildRecordingSdp(options: RecordingSdpOptions): string {
  if (options.kind !== 'audio' && options.kind !== 'video') {
    throw new RangeError(
      `options.kind must be "audio" or "video", got ${JSON.stringify(options.kind)}`,
    );
  }
  const name = encodingName(options);
  const payloadType = checkRange('payloadType', options.payloadType, 0, MAX_PAYLOAD_TYPE);
  const clockRate = checkRange('clockRate', options.clockRate, 1, 0xffff_ffff);
  const defaultChannels = name.toLowerCase() === 'opus' ? 2 : 1;
  const channels =
    options.kind === 'audio'
      ? checkRange('channels', options.channels ?? defaultChannels, 1, MAX_CHANNELS)
      : undefined;
  const address = options.address ?? '127.0.0.1';
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(address))
    throw new TypeError(
      `options.address must be a dotted IPv4 address, got ${JSON.stringify(address)}`,
    );
  const port = checkRange(
    'port',
    options.port ?? (options.kind === 'audio' ? 5004 : 5006),
    1,
    MAX_PORT,
  );
  const cname = options.cname ?? 'tapedeck';
  // RFC 5576 §6: a CNAME is any byte-string; here it must also survive a line of SDP text.
  if (
    typeof cname !== 'string' ||
    cname === '' ||
    /[\u0000-\u001f\u007f]/.test(cname) ||
    cname.trim() !== cname
  ) {
    throw new TypeError(
      `options.cname must be non-empty text without control characters or surrounding spaces, got ${JSON.stringify(cname)}`,
    );
  }

  const formats = [payloadType];
  const rtpmaps = new Map<number, RtpMap>([
    [payloadType, { payloadType, encodingName: name, clockRate, channels }],
  ]);
  const fmtps = new Map<number, ReadonlyMap<string, string>>();
  const params = fmtpMap(options.fmtp);
  if (params) fmtps.set(payloadType, params);

  const ssrcs: SsrcAttribute[] = [];
  const ssrcGroups: SsrcGroup[] = [];
  const ssrc =
    options.ssrc === undefined ? undefined : checkRange('ssrc', options.ssrc, 0, MAX_SSRC);
  if (options.rtx !== undefined) {
    const rtxPt = checkRange('rtx.payloadType', options.rtx.payloadType, 0, MAX_PAYLOAD_TYPE);
    if (rtxPt === payloadType)
      throw new RangeError('options.rtx.payloadType must differ from options.payloadType');
    formats.push(rtxPt);
    rtpmaps.set(rtxPt, { payloadType: rtxPt, encodingName: 'rtx', clockRate, channels: undefined });
    fmtps.set(rtxPt, new Map([['apt', String(payloadType)]]));
    const rtxSsrc =
      options.rtx.ssrc === undefined
        ? undefined
        : checkRange('rtx.ssrc', options.rtx.ssrc, 0, MAX_SSRC);
    if (rtxSsrc !== undefined) {
      if (ssrc !== undefined) ssrcGroups.push({ semantics: 'FID', ssrcs: [ssrc, rtxSsrc] });
      ssrcs.push({ ssrc: rtxSsrc, attribute: 'cname', value: cname });
    }
  }
  if (ssrc !== undefined) ssrcs.push({ ssrc, attribute: 'cname', value: cname });

  const media: MediaDescription = {
    media: options.kind,
    port,
    protocol: 'RTP/AVP',
    formats,
    rtpmaps,
    fmtps,
    direction: undefined,
    mid: undefined,
    ssrcs,
    attributes: [],
    ssrcGroups,
  };
  return serializeSdp({
    version: 0,
    origin: `- 0 0 IN IP4 ${address}`,
    sessionName: 'tapedeck',
    connection: `IN IP4 ${address}`,
    attributes: [['tool', 'tapedeck']],
    media: [media],
  });
}
