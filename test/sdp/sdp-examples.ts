/**
 * SDP texts for tests. The ffmpeg ones are what `ffmpeg 5.1 … -f rtp -sdp_file x.sdp
 * rtp://127.0.0.1:<port>` wrote (CRLF line ends), e.g.
 *   ffmpeg -f lavfi -i sine=duration=0.2 -c:a libopus -ac 2 -payload_type 111 -f rtp -sdp_file opus.sdp rtp://127.0.0.1:45004
 *   ffmpeg -f lavfi -i testsrc=duration=0.3 -c:v libx264 -flags +global_header -f rtp -sdp_file h264.sdp rtp://127.0.0.1:45010
 * The browser ones follow Chrome's offers and answers (trimmed of ICE/DTLS values).
 */

const crlf = (lines: readonly string[]): string => `${lines.join('\r\n')}\r\n`;
const lf = (lines: readonly string[]): string => `${lines.join('\n')}\n`;

const FFMPEG_HEAD = [
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=No Name',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'a=tool:libavformat LIBAVFORMAT_VERSION',
];

export const FFMPEG_OPUS = crlf([
  ...FFMPEG_HEAD,
  'm=audio 45004 RTP/AVP 111',
  'b=AS:96',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 sprop-stereo=1',
]);

export const FFMPEG_VP8 = crlf([
  ...FFMPEG_HEAD,
  'm=video 45006 RTP/AVP 96',
  'b=AS:256',
  'a=rtpmap:96 VP8/90000',
]);

export const FFMPEG_VP9 = crlf([
  ...FFMPEG_HEAD,
  'm=video 45008 RTP/AVP 96',
  'a=rtpmap:96 VP9/90000',
]);

export const FFMPEG_H264 = crlf([
  ...FFMPEG_HEAD,
  'm=video 45010 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  'a=fmtp:96 packetization-mode=1; sprop-parameter-sets=Z/QACpGbKFCPxOAiAAADAAIAAAMAKB4kSyw=,aOvjxEhE; profile-level-id=F4000A',
]);

/** PCMU: static payload type 0, no rtpmap at all. */
export const FFMPEG_PCMU = crlf([...FFMPEG_HEAD, 'm=audio 45012 RTP/AVP 0', 'b=AS:64']);

const CHROME_HEAD = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS stream1',
];

const CHROME_AUDIO = [
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:Xq3v',
  'a=ice-pwd:2Uq3vXh0e6o9tqKQmXyQ1oEj',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 8B:87:09:8A:5D:C2:F3:33:EF:C5:B1:F6:84:3A:3D:D6:A3:E2:9C:17:4C:E7:46:3B:1B:CE:84:98:DD:8E:AF:7B',
  'a=setup:actpass',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=sendonly',
  'a=msid:stream1 track1',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:13 CN/8000',
  'a=rtpmap:110 telephone-event/48000',
  'a=rtpmap:126 telephone-event/8000',
  'a=ssrc:1001 cname:4TOk42mSjXCkVIa6',
  'a=ssrc:1001 msid:stream1 track1',
];

const CHROME_VIDEO = [
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 106 107 108 109 116 117 118',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=mid:1',
  'a=extmap:14 urn:ietf:params:rtp-hdrext:toffset',
  'a=sendonly',
  'a=msid:stream1 track2',
  'a=rtcp-mux',
  'a=rtcp-rsize',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 goog-remb',
  'a=rtcp-fb:96 transport-cc',
  'a=rtcp-fb:96 ccm fir',
  'a=rtcp-fb:96 nack',
  'a=rtcp-fb:96 nack pli',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'a=rtpmap:103 rtx/90000',
  'a=fmtp:103 apt=102',
  'a=rtpmap:104 H264/90000',
  'a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f',
  'a=rtpmap:105 rtx/90000',
  'a=fmtp:105 apt=104',
  'a=rtpmap:106 H264/90000',
  'a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=rtpmap:107 rtx/90000',
  'a=fmtp:107 apt=106',
  'a=rtpmap:108 H264/90000',
  'a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
  'a=rtpmap:109 rtx/90000',
  'a=fmtp:109 apt=108',
  'a=rtpmap:116 red/90000',
  'a=rtpmap:117 rtx/90000',
  'a=fmtp:117 apt=116',
  'a=rtpmap:118 ulpfec/90000',
  'a=ssrc-group:FID 2001 2002',
  'a=ssrc:2001 cname:4TOk42mSjXCkVIa6',
  'a=ssrc:2001 msid:stream1 track2',
  'a=ssrc:2002 cname:4TOk42mSjXCkVIa6',
  'a=ssrc:2002 msid:stream1 track2',
];

/** A Chrome offer: opus + RED + G722/PCMU/PCMA/CN/DTMF; VP8 + rtx, four H264 profiles + rtx, RED + rtx, ULPFEC; a data channel. */
export const CHROME_OFFER = crlf([
  ...CHROME_HEAD,
  ...CHROME_AUDIO,
  ...CHROME_VIDEO,
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 0.0.0.0',
  'a=mid:2',
  'a=sctp-port:5000',
]);

/** An answer that picked H264 (two profiles) with RTX, RED (+ RTX) and ULPFEC, RED preferred for audio. LF line ends. */
export const H264_ANSWER = lf([
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 63 111',
  'a=mid:0',
  'a=recvonly',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'm=video 9 UDP/TLS/RTP/SAVPF 106 107 102 103 116 117 118',
  'a=mid:1',
  'a=recvonly',
  'a=rtpmap:106 H264/90000',
  'a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=rtpmap:107 rtx/90000',
  'a=fmtp:107 apt=106',
  'a=rtpmap:102 H264/90000',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'a=rtpmap:103 rtx/90000',
  'a=fmtp:103 apt=102',
  'a=rtpmap:116 red/90000',
  'a=rtpmap:117 rtx/90000',
  'a=fmtp:117 apt=116',
  'a=rtpmap:118 ulpfec/90000',
]);

/** A VP8 answer with FlexFEC (FEC-FR group) next to RTX. */
export const VP8_FLEXFEC_ANSWER = crlf([
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 35',
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:35 flexfec-03/90000',
  'a=fmtp:35 repair-window=10000000',
  'a=ssrc-group:FID 3001 3002',
  'a=ssrc-group:FEC-FR 3001 3003',
  'a=ssrc:3001 cname:x',
  'a=ssrc:3002 cname:x',
  'a=ssrc:3003 cname:x',
]);
