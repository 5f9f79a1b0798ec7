/**
 * SDP serializer: the inverse of parseSdp for everything parseSdp models.
 *
 * The structured fields are the source of truth (so a caller can edit `rtpmaps` or
 * `direction` and have it written); `attributes` contributes only the lines those fields do
 * not model (rtcp-fb, extmap, ice-ufrag, …), in their order. Output, CRLF-terminated:
 *
 * ```
 * v=<version>
 * o=<origin>                 when defined
 * s=<session name>           when defined
 * c=<connection>             when defined
 * t=0 0
 * a=…                        session-level attributes, in order
 * m=<media> <port> <protocol> <formats…>
 * c=<connection>             when defined
 * a=mid:<mid>                when defined
 * a=<direction>              when defined
 * a=rtpmap:<pt> …            per payload type (m= order, then the rest ascending),
 * a=fmtp:<pt> k=v; k=v       each followed by its fmtp
 * a=…                        other media attributes, in order
 * a=ssrc-group:…
 * a=ssrc:…
 * ```
 *
 * parseSdp(serializeSdp(d)) has the same structured fields as d, and serializeSdp is a
 * fixpoint after one pass: serializeSdp(parseSdp(serializeSdp(x))) === serializeSdp(x).
 * Throws RangeError (naming the field) for values parseSdp could not read back: line breaks,
 * ports outside 0..65535, payload types outside 0..127.
 *
 * @see RFC 8866 §5 (line order)
 */
import type { MediaDescription, SessionDescription } from './types.js';
import {
  MAX_PAYLOAD_TYPE,
  MAX_PORT,
  STRUCTURED_MEDIA_ATTRIBUTES,
  formatAttribute,
  formatFmtpParams,
  formatRtpmapValue,
  formatSsrcGroupValue,
  formatSsrcValue,
} from './sdp-values.js';

class Lines {
  readonly #lines: string[] = [];

  push(field: string, line: string): void {
    if (/[\r\n]/.test(line)) throw new RangeError(`${field} must not contain a line break`);
    this.#lines.push(line);
  }

  text(): string {
    return `${this.#lines.join('\r\n')}\r\n`;
  }
}

function checkAttributeName(field: string, name: string): void {
  if (name.includes(':'))
    throw new RangeError(`${field} name must not contain ":", got ${JSON.stringify(name)}`);
}

function checkInteger(field: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${field} must be an integer in 0..${max}, got ${String(value)}`);
  }
}

/** Payload types in m= order (first occurrence), then any others with an rtpmap or fmtp, ascending. */
function payloadTypeOrder(media: MediaDescription): number[] {
  const order: number[] = [];
  const seen = new Set<number>();
  for (const pt of media.formats) {
    if (!seen.has(pt)) order.push(pt);
    seen.add(pt);
  }
  const rest = [...new Set([...media.rtpmaps.keys(), ...media.fmtps.keys()])].filter(
    (pt) => !seen.has(pt),
  );
  return [...order, ...rest.sort((a, b) => a - b)];
}

function writeMedia(lines: Lines, media: MediaDescription, field: string): void {
  checkInteger(`${field}.port`, media.port, MAX_PORT);
  media.formats.forEach((pt, i) => checkInteger(`${field}.formats[${i}]`, pt, MAX_PAYLOAD_TYPE));
  const formats = media.formats.map((pt) => ` ${pt}`).join('');
  lines.push(field, `m=${media.media} ${media.port} ${media.protocol}${formats}`);
  if (media.connection !== undefined) lines.push(`${field}.connection`, `c=${media.connection}`);
  if (media.mid !== undefined) lines.push(`${field}.mid`, `a=mid:${media.mid}`);
  if (media.direction !== undefined) lines.push(`${field}.direction`, `a=${media.direction}`);
  for (const pt of payloadTypeOrder(media)) {
    checkInteger(`${field} payload type`, pt, MAX_PAYLOAD_TYPE);
    const rtpmap = media.rtpmaps.get(pt);
    if (rtpmap) {
      if (rtpmap.payloadType !== pt)
        throw new RangeError(`${field}.rtpmaps key ${pt} holds payload type ${rtpmap.payloadType}`);
      lines.push(`${field}.rtpmaps[${pt}]`, `a=rtpmap:${formatRtpmapValue(rtpmap)}`);
    }
    const fmtp = media.fmtps.get(pt);
    if (fmtp) {
      const params = formatFmtpParams(fmtp);
      lines.push(
        `${field}.fmtps[${pt}]`,
        params === '' ? `a=fmtp:${pt}` : `a=fmtp:${pt} ${params}`,
      );
    }
  }
  media.attributes.forEach(([name, value], i) => {
    if (STRUCTURED_MEDIA_ATTRIBUTES.has(name)) return;
    checkAttributeName(`${field}.attributes[${i}]`, name);
    lines.push(`${field}.attributes[${i}]`, formatAttribute(name, value));
  });
  (media.ssrcGroups ?? []).forEach((group, i) => {
    lines.push(`${field}.ssrcGroups[${i}]`, `a=ssrc-group:${formatSsrcGroupValue(group)}`);
  });
  media.ssrcs.forEach((ssrc, i) =>
    lines.push(`${field}.ssrcs[${i}]`, `a=ssrc:${formatSsrcValue(ssrc)}`),
  );
}

/** Writes a session description as SDP text (CRLF line ends). */
export function serializeSdp(desc: SessionDescription): string {
  const lines = new Lines();
  checkInteger('desc.version', desc.version, 0xffff_ffff);
  lines.push('desc.version', `v=${desc.version}`);
  if (desc.origin !== undefined) lines.push('desc.origin', `o=${desc.origin}`);
  if (desc.sessionName !== undefined) lines.push('desc.sessionName', `s=${desc.sessionName}`);
  if (desc.connection !== undefined) lines.push('desc.connection', `c=${desc.connection}`);
  lines.push('desc', 't=0 0');
  (desc.attributes ?? []).forEach(([name, value], i) => {
    checkAttributeName(`desc.attributes[${i}]`, name);
    lines.push(`desc.attributes[${i}]`, formatAttribute(name, value));
  });
  if (desc.media.length === 0)
    throw new RangeError('desc.media must hold at least one media description');
  desc.media.forEach((media, i) => writeMedia(lines, media, `desc.media[${i}]`));
  return lines.text();
}
