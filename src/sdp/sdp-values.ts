/**
 * Value grammars of the SDP lines tapedeck reads, shared by the parser and the serializer.
 * Each reader returns `undefined` for text that does not match, never throws.
 *
 * ```
 * m=<media> <port>[/<count>] <proto> <fmt> …            RFC 8866 §5.14
 * a=rtpmap:<pt> <encoding name>/<clock rate>[/<channels>]  RFC 8866 §6.6
 * a=fmtp:<pt> <param>[=<value>][;<param>[=<value>]]…       RFC 8866 §6.15
 * a=ssrc:<ssrc-id> <attribute>[:<value>]                    RFC 5576 §4.1
 * a=ssrc-group:<semantics> <ssrc-id> …                      RFC 5576 §4.2
 * ```
 * @see RFC 8866 (SDP), RFC 5576 (source-specific attributes)
 */
import type { RtpMap, SsrcAttribute, SsrcGroup } from './types.js';

/** The direction attributes (RFC 8866 §6.7). */
export const DIRECTIONS = ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export function isDirection(name: string): name is Direction {
  return (DIRECTIONS as readonly string[]).includes(name);
}

/** Attribute names the structured fields of a media description carry. */
export const STRUCTURED_MEDIA_ATTRIBUTES: ReadonlySet<string> = new Set([
  'rtpmap',
  'fmtp',
  'ssrc',
  'ssrc-group',
  'mid',
  ...DIRECTIONS,
]);

/** Decimal digits (at most 10) as an integer in [0, max], else undefined. */
export function parseUint(text: string, max: number): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const value = Number(text);
  return value <= max ? value : undefined;
}

export const MAX_PAYLOAD_TYPE = 127;
export const MAX_SSRC = 0xffff_ffff;
export const MAX_PORT = 0xffff;
export const MAX_CHANNELS = 255;

/** True for RTP transport protocols (`RTP/AVP`, `UDP/TLS/RTP/SAVPF`, …), whose formats are payload types. */
export function isRtpProtocol(protocol: string): boolean {
  return protocol.toUpperCase().split('/').includes('RTP');
}

/** `<pt> <name>/<clock>[/<channels>]` → RtpMap. */
export function parseRtpmapValue(value: string): RtpMap | undefined {
  const match = /^(\d{1,3})\s+(\S+)$/.exec(value);
  if (!match) return undefined;
  const payloadType = parseUint(match[1] ?? '', MAX_PAYLOAD_TYPE);
  const parts = (match[2] ?? '').split('/');
  if (payloadType === undefined || parts.length < 2 || parts.length > 3) return undefined;
  const [encodingName = '', clockText = '', channelsText] = parts;
  const clockRate = parseUint(clockText, 0xffff_ffff);
  if (encodingName === '' || clockRate === undefined || clockRate === 0) return undefined;
  let channels: number | undefined;
  if (channelsText !== undefined) {
    channels = parseUint(channelsText, MAX_CHANNELS);
    if (channels === undefined || channels === 0) return undefined;
  }
  return { payloadType, encodingName, clockRate, channels };
}

export function formatRtpmapValue(rtpmap: RtpMap): string {
  const channels = rtpmap.channels === undefined ? '' : `/${rtpmap.channels}`;
  return `${rtpmap.payloadType} ${rtpmap.encodingName}/${rtpmap.clockRate}${channels}`;
}

/**
 * `<pt> <params>` → payload type and parameters. Parameters split on `;`, each at its first
 * `=`; keys lower-cased and trimmed, values trimmed. A parameter without `=` (telephone-event's
 * `0-15`, RED's `111/111`) maps to the empty string. Empty keys are skipped.
 */
export function parseFmtpValue(
  value: string,
): { payloadType: number; params: Map<string, string> } | undefined {
  const match = /^(\d{1,3})(?:\s+([\s\S]*))?$/.exec(value);
  if (!match) return undefined;
  const payloadType = parseUint(match[1] ?? '', MAX_PAYLOAD_TYPE);
  if (payloadType === undefined) return undefined;
  const params = new Map<string, string>();
  for (const part of (match[2] ?? '').split(';')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (key === '') continue;
    params.set(key, eq < 0 ? '' : part.slice(eq + 1).trim());
  }
  return { payloadType, params };
}

/** Parameters as `key=value; key2=value2` (ffmpeg's and RFC 6184's separator); empty values as the bare key. */
export function formatFmtpParams(params: ReadonlyMap<string, string>): string {
  return [...params]
    .map(([key, value]) => (value === '' ? key.toLowerCase() : `${key.toLowerCase()}=${value}`))
    .join('; ');
}

/** `<ssrc> <attribute>[:<value>]` → SsrcAttribute. */
export function parseSsrcValue(value: string): SsrcAttribute | undefined {
  const match = /^(\d{1,10})(?:\s+([\s\S]*))?$/.exec(value);
  if (!match) return undefined;
  const ssrc = parseUint(match[1] ?? '', MAX_SSRC);
  if (ssrc === undefined) return undefined;
  const rest = match[2] ?? '';
  const colon = rest.indexOf(':');
  return colon < 0
    ? { ssrc, attribute: rest, value: undefined }
    : { ssrc, attribute: rest.slice(0, colon), value: rest.slice(colon + 1) };
}

export function formatSsrcValue(attribute: SsrcAttribute): string {
  const value = attribute.value === undefined ? '' : `:${attribute.value}`;
  return `${attribute.ssrc} ${attribute.attribute}${value}`;
}

/** `<semantics> <ssrc> …` → SsrcGroup. */
export function parseSsrcGroupValue(value: string): SsrcGroup | undefined {
  const tokens = value.split(/\s+/).filter((t) => t !== '');
  const [semantics, ...rest] = tokens;
  if (semantics === undefined) return undefined;
  const ssrcs: number[] = [];
  for (const token of rest) {
    const ssrc = parseUint(token, MAX_SSRC);
    if (ssrc === undefined) return undefined;
    ssrcs.push(ssrc);
  }
  return { semantics, ssrcs };
}

export function formatSsrcGroupValue(group: SsrcGroup): string {
  return [group.semantics, ...group.ssrcs.map(String)].join(' ');
}

/** Splits an a= value into [name, value]: `a=rtpmap:96 VP8/90000` → ["rtpmap", "96 VP8/90000"], `a=sendonly` → ["sendonly", undefined]. */
export function splitAttribute(text: string): readonly [string, string | undefined] {
  const colon = text.indexOf(':');
  return colon < 0 ? [text, undefined] : [text.slice(0, colon), text.slice(colon + 1)];
}

export function formatAttribute(name: string, value: string | undefined): string {
  return value === undefined ? `a=${name}` : `a=${name}:${value}`;
}

/** A line quoted for a one-line error message: escaped, cut at 80 characters. */
export function quoteLine(line: string): string {
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line);
}
