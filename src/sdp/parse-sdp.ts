/**
 * SDP parser: the session and media descriptions recording and processing need.
 *
 * ```
 * v=0                                     session part: v o s c t, session-level a= lines
 * o=- 0 0 IN IP4 127.0.0.1
 * s=No Name
 * c=IN IP4 127.0.0.1
 * t=0 0
 * m=video 5006 RTP/AVP 96 97              one media section per m= line, up to the next m=
 * c=IN IP4 127.0.0.1                      (media-level connection, optional)
 * a=rtpmap:96 VP8/90000                   every rtpmap and fmtp of the section is kept
 * a=rtpmap:97 rtx/90000
 * a=fmtp:97 apt=96
 * a=mid:0
 * a=recvonly
 * a=ssrc-group:FID 1111 2222
 * a=ssrc:1111 cname:tapedeck
 * ```
 *
 * Lines end in CRLF, LF or a lone CR; surrounding whitespace is ignored, as are lines that are not
 * `<letter>=…` and line types not listed above (b=, t=, i=, …). Unparseable `a=fmtp`,
 * `a=ssrc` and `a=ssrc-group` values are kept in `attributes` but not in the structured
 * fields; when an attribute repeats for one payload type, the last one wins.
 *
 * Throws `ParseError('SDP', lineNumber, …, 'SDP_INVALID')` (offset = 1-based line number)
 * for a malformed v=, m= or media-level a=rtpmap line, and for an SDP without any m= line.
 *
 * @see RFC 8866 (SDP), RFC 3264 (offer/answer), RFC 5576 (a=ssrc, a=ssrc-group)
 */
import { ParseError } from '../errors.js';
import type {
  MediaDescription,
  RtpMap,
  SessionDescription,
  SsrcAttribute,
  SsrcGroup,
} from './types.js';
import {
  MAX_PAYLOAD_TYPE,
  MAX_PORT,
  isDirection,
  isRtpProtocol,
  parseFmtpValue,
  parseRtpmapValue,
  parseSsrcGroupValue,
  parseSsrcValue,
  parseUint,
  quoteLine,
  splitAttribute,
  type Direction,
} from './sdp-values.js';

type Attribute = readonly [string, string | undefined];

type MediaBuilder = {
  readonly media: string;
  readonly port: number;
  readonly protocol: string;
  readonly formats: readonly number[];
  readonly rtpmaps: Map<number, RtpMap>;
  readonly fmtps: Map<number, ReadonlyMap<string, string>>;
  direction: Direction | undefined;
  mid: string | undefined;
  connection: string | undefined;
  readonly ssrcs: SsrcAttribute[];
  readonly ssrcGroups: SsrcGroup[];
  readonly attributes: Attribute[];
};

function invalid(lineNumber: number, message: string): ParseError {
  return new ParseError('SDP', lineNumber, message, 'SDP_INVALID');
}

/** `m=<media> <port>[/<count>] <proto> <fmt> …`; formats are payload types for RTP protocols. */
function parseMediaLine(value: string, line: string, lineNumber: number): MediaBuilder {
  const tokens = value.trim().split(/\s+/);
  const [media = '', portText = '', protocol = '', ...formatTokens] = tokens;
  if (media === '' || protocol === '')
    throw invalid(lineNumber, `malformed m= line ${quoteLine(line)}`);
  const portMatch = /^(\d{1,5})(?:\/(\d{1,5}))?$/.exec(portText);
  const port = portMatch ? parseUint(portMatch[1] ?? '', MAX_PORT) : undefined;
  if (port === undefined)
    throw invalid(lineNumber, `malformed m= line ${quoteLine(line)}: bad port`);
  const formats: number[] = [];
  if (isRtpProtocol(protocol)) {
    for (const token of formatTokens) {
      const payloadType = parseUint(token, MAX_PAYLOAD_TYPE);
      if (payloadType === undefined) {
        throw invalid(
          lineNumber,
          `malformed m= line ${quoteLine(line)}: payload type ${JSON.stringify(token)} is not in 0..127`,
        );
      }
      formats.push(payloadType);
    }
  }
  return {
    media,
    port,
    protocol,
    formats,
    rtpmaps: new Map(),
    fmtps: new Map(),
    direction: undefined,
    mid: undefined,
    connection: undefined,
    ssrcs: [],
    ssrcGroups: [],
    attributes: [],
  };
}

function addMediaAttribute(
  builder: MediaBuilder,
  attribute: Attribute,
  line: string,
  lineNumber: number,
): void {
  builder.attributes.push(attribute);
  const [name, value] = attribute;
  if (isDirection(name)) {
    builder.direction = name;
    return;
  }
  if (value === undefined) {
    if (name === 'rtpmap') throw invalid(lineNumber, `malformed a=rtpmap line ${quoteLine(line)}`);
    return;
  }
  switch (name) {
    case 'rtpmap': {
      const rtpmap = parseRtpmapValue(value);
      if (!rtpmap) throw invalid(lineNumber, `malformed a=rtpmap line ${quoteLine(line)}`);
      builder.rtpmaps.set(rtpmap.payloadType, rtpmap);
      return;
    }
    case 'fmtp': {
      const fmtp = parseFmtpValue(value);
      if (fmtp) builder.fmtps.set(fmtp.payloadType, fmtp.params);
      return;
    }
    case 'mid':
      builder.mid = value;
      return;
    case 'ssrc': {
      const ssrc = parseSsrcValue(value);
      if (ssrc) builder.ssrcs.push(ssrc);
      return;
    }
    case 'ssrc-group': {
      const group = parseSsrcGroupValue(value);
      if (group) builder.ssrcGroups.push(group);
      return;
    }
    default:
      return;
  }
}

function finishMedia(builder: MediaBuilder): MediaDescription {
  const description: MediaDescription = {
    media: builder.media,
    port: builder.port,
    protocol: builder.protocol,
    formats: builder.formats,
    rtpmaps: builder.rtpmaps,
    fmtps: builder.fmtps,
    direction: builder.direction,
    mid: builder.mid,
    ssrcs: builder.ssrcs,
    attributes: builder.attributes,
    ssrcGroups: builder.ssrcGroups,
  };
  return builder.connection === undefined
    ? description
    : { ...description, connection: builder.connection };
}

/** Parses SDP text (see the module comment for what is kept and what throws). */
export function parseSdp(text: string): SessionDescription {
  if (typeof text !== 'string') throw new TypeError('text must be a string');
  const lines = text.split(/\r\n|\r|\n/);
  let version = 0;
  let origin: string | undefined;
  let sessionName: string | undefined;
  let connection: string | undefined;
  const sessionAttributes: Attribute[] = [];
  const media: MediaBuilder[] = [];
  let current: MediaBuilder | undefined;

  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const line = (lines[index] ?? '').trim();
    if (line.length < 2 || line[1] !== '=') continue;
    const value = line.slice(2);
    switch (line[0]) {
      case 'm':
        current = parseMediaLine(value, line, lineNumber);
        media.push(current);
        break;
      case 'a': {
        const attribute = splitAttribute(value);
        if (current) addMediaAttribute(current, attribute, line, lineNumber);
        else sessionAttributes.push(attribute);
        break;
      }
      case 'c':
        if (current) current.connection = value;
        else connection = value;
        break;
      case 'v': {
        if (current) break;
        const parsed = parseUint(value, 0xffff_ffff);
        if (parsed === undefined) throw invalid(lineNumber, `malformed v= line ${quoteLine(line)}`);
        version = parsed;
        break;
      }
      case 'o':
        if (!current) origin = value;
        break;
      case 's':
        if (!current) sessionName = value;
        break;
      default:
        break;
    }
  }
  if (media.length === 0) throw invalid(lines.length, 'SDP without media');
  return {
    version,
    origin,
    sessionName,
    connection,
    media: media.map(finishMedia),
    attributes: sessionAttributes,
  };
}
