/** fast-check arbitraries for SDP: structured descriptions, SDP-like texts, and a structural view for comparisons. */
import fc from 'fast-check';
import type {
  MediaDescription,
  RtpMap,
  SessionDescription,
  SsrcAttribute,
  SsrcGroup,
} from '../../src/sdp/types.js';

const STRUCTURED = new Set([
  'rtpmap',
  'fmtp',
  'ssrc',
  'ssrc-group',
  'mid',
  'sendrecv',
  'sendonly',
  'recvonly',
  'inactive',
]);

const token = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,9}$/);
const lowerToken = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,9}$/);
/** Text as a line value keeps it: no line breaks, no trailing whitespace (leading is kept). */
const lineText = fc.stringMatching(/^[ -~]{0,24}$/).map((s) => s.trimEnd());
const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });
const payloadType = fc.integer({ min: 0, max: 127 });

const rtpmapFor = (pt: number): fc.Arbitrary<RtpMap> =>
  fc.record({
    payloadType: fc.constant(pt),
    encodingName: fc.constantFrom(
      'opus',
      'VP8',
      'VP9',
      'H264',
      'AV1',
      'rtx',
      'red',
      'ulpfec',
      'flexfec-03',
      'PCMU',
      'CN',
      'telephone-event',
      'G722',
      'H265',
    ),
    clockRate: fc.constantFrom(8000, 48000, 90000, 1, 0xffff_ffff),
    channels: fc.option(fc.integer({ min: 1, max: 255 }), { nil: undefined }),
  });

const fmtpParams: fc.Arbitrary<ReadonlyMap<string, string>> = fc
  .array(fc.tuple(lowerToken, fc.stringMatching(/^([!-:<-~]([ -:<-~]{0,14}[!-:<-~])?)?$/)), {
    maxLength: 4,
  })
  .map((entries) => new Map(entries));

const ssrcAttribute: fc.Arbitrary<SsrcAttribute> = fc.record({
  ssrc: uint32,
  attribute: fc.constantFrom('cname', 'msid', 'mslabel', 'label'),
  value: fc.option(fc.stringMatching(/^[!-~]([ -~]{0,14}[!-~])?$/), { nil: undefined }),
});

const ssrcGroup: fc.Arbitrary<SsrcGroup> = fc.record({
  semantics: fc.constantFrom('FID', 'FEC-FR', 'SIM'),
  ssrcs: fc.array(uint32, { maxLength: 3 }),
});

const otherAttribute = fc.tuple(
  token.filter((name) => !STRUCTURED.has(name)),
  fc.option(lineText, { nil: undefined }),
) as fc.Arbitrary<readonly [string, string | undefined]>;

const mediaDescription: fc.Arbitrary<MediaDescription> = fc
  .record({
    media: fc.constantFrom('audio', 'video'),
    port: fc.integer({ min: 0, max: 65535 }),
    protocol: fc.constantFrom('RTP/AVP', 'RTP/SAVPF', 'UDP/TLS/RTP/SAVPF'),
    formats: fc.array(payloadType, { maxLength: 6 }),
    mapped: fc.uniqueArray(payloadType, { maxLength: 5 }),
    fmtpPts: fc.uniqueArray(payloadType, { maxLength: 3 }),
    direction: fc.constantFrom(undefined, 'sendrecv', 'sendonly', 'recvonly', 'inactive' as const),
    mid: fc.option(token, { nil: undefined }),
    ssrcs: fc.array(ssrcAttribute, { maxLength: 3 }),
    ssrcGroups: fc.array(ssrcGroup, { maxLength: 2 }),
    attributes: fc.array(otherAttribute, { maxLength: 3 }),
    connection: fc.option(fc.constant('IN IP4 0.0.0.0'), { nil: undefined }),
  })
  .chain((m) =>
    fc
      .record({
        rtpmaps: fc.tuple(...m.mapped.map(rtpmapFor)),
        fmtps: fc.tuple(...m.fmtpPts.map(() => fmtpParams)),
      })
      .map(({ rtpmaps, fmtps }): MediaDescription => {
        const base: MediaDescription = {
          media: m.media,
          port: m.port,
          protocol: m.protocol,
          formats: m.formats,
          rtpmaps: new Map(rtpmaps.map((r) => [r.payloadType, r])),
          fmtps: new Map(m.fmtpPts.map((pt, i) => [pt, fmtps[i] ?? new Map<string, string>()])),
          direction: m.direction,
          mid: m.mid,
          ssrcs: m.ssrcs,
          attributes: m.attributes,
          ssrcGroups: m.ssrcGroups,
        };
        return m.connection === undefined ? base : { ...base, connection: m.connection };
      }),
  );

/** Structured session descriptions whose every field survives serialize → parse. */
export const sessionDescription: fc.Arbitrary<SessionDescription> = fc.record({
  version: fc.integer({ min: 0, max: 9 }),
  origin: fc.option(fc.constant('- 0 0 IN IP4 127.0.0.1'), { nil: undefined }),
  sessionName: fc.option(lineText, { nil: undefined }),
  connection: fc.option(fc.constantFrom('IN IP4 127.0.0.1', 'IN IP6 ::1'), { nil: undefined }),
  media: fc.array(mediaDescription, { minLength: 1, maxLength: 3 }),
  attributes: fc.array(otherAttribute, { maxLength: 3 }),
});

const sdpLine = fc.oneof(
  fc.constantFrom(
    'v=0',
    'o=- 0 0 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'c=IN IP4 0.0.0.0',
    'b=AS:64',
    'a=sendonly',
    'a=recvonly',
    'a=rtcp-mux',
    'a=mid:0',
    'a=group:BUNDLE 0 1',
  ),
  fc
    .tuple(
      fc.constantFrom('audio', 'video', 'application'),
      fc.integer({ min: 0, max: 70000 }),
      fc.constantFrom('RTP/AVP', 'UDP/TLS/RTP/SAVPF', 'UDP/DTLS/SCTP'),
      fc.array(fc.integer({ min: 0, max: 130 }), { maxLength: 4 }),
    )
    .map(([media, port, proto, pts]) => `m=${media} ${port} ${proto} ${pts.join(' ')}`),
  fc
    .tuple(
      fc.integer({ min: 0, max: 130 }),
      fc.constantFrom(
        'opus/48000/2',
        'VP8/90000',
        'H264/90000',
        'rtx/90000',
        'red/48000/2',
        'ulpfec/90000',
        'x/0',
        'y',
      ),
    )
    .map(([pt, enc]) => `a=rtpmap:${pt} ${enc}`),
  fc
    .tuple(
      fc.integer({ min: 0, max: 130 }),
      fc.constantFrom(
        'apt=96',
        '111/111',
        'packetization-mode=1; profile-level-id=42e01f',
        ';;=x;A=B',
        '',
      ),
    )
    .map(([pt, p]) => `a=fmtp:${pt} ${p}`),
  fc
    .tuple(
      fc.oneof(uint32, fc.constant(2 ** 32)),
      fc.constantFrom('cname:x', 'msid:a b', '', 'foo', ':v'),
    )
    .map(([s, rest]) => `a=ssrc:${s} ${rest}`),
  fc
    .tuple(fc.constantFrom('FID', 'FEC-FR', ''), fc.array(uint32, { maxLength: 3 }))
    .map(([sem, s]) => `a=ssrc-group:${sem} ${s.join(' ')}`),
  fc.string({ maxLength: 30 }),
  fc.string({ maxLength: 12 }).map((s) => `a=${s}`),
);

/** SDP-like texts: line vocabularies, junk lines, mixed line ends. */
export const sdpLikeText: fc.Arbitrary<string> = fc
  .array(fc.tuple(sdpLine, fc.constantFrom('\r\n', '\n', '\r', ' \n')), { maxLength: 25 })
  .map((lines) => lines.map(([line, end]) => line + end).join(''));

/** What parseSdp models, in a form `toEqual` compares exactly (attributes: only the unstructured ones). */
export function structure(desc: SessionDescription): unknown {
  return {
    version: desc.version,
    origin: desc.origin,
    sessionName: desc.sessionName,
    connection: desc.connection,
    attributes: desc.attributes ?? [],
    media: desc.media.map((m) => ({
      media: m.media,
      port: m.port,
      protocol: m.protocol,
      formats: m.formats,
      rtpmaps: [...m.rtpmaps].sort(([a], [b]) => a - b),
      fmtps: [...m.fmtps].sort(([a], [b]) => a - b).map(([pt, params]) => [pt, [...params]]),
      direction: m.direction,
      mid: m.mid,
      connection: m.connection,
      ssrcs: m.ssrcs,
      ssrcGroups: m.ssrcGroups ?? [],
      attributes: m.attributes.filter(([name]) => !STRUCTURED.has(name)),
    })),
  };
}
