/**
 * Packetizers: encoded frames in, RTP wire packets out (the inverse of ../depacketize),
 * and the sender-report compound a sender interleaves. Pure: used by the synthetic call
 * generator (scripts/lib) and by tests that need RTP streams without a real sender.
 */
export { Vp8Packetizer, type Vp8PacketizerOptions } from './vp8-packetizer.js';
export { OpusPacketizer, type OpusPacketizerOptions } from './opus-packetizer.js';
export { buildSenderReport, type SenderReportInit } from './sender-report.js';
export type { RtpStreamOptions } from './rtp-stream-options.js';
