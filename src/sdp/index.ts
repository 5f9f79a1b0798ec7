/** SDP: parse, serialize, resolve the codec, and write the recorder's per-segment SDP. */
export { parseSdp } from './parse-sdp.js';
export { serializeSdp } from './serialize-sdp.js';
export { resolveCodec } from './resolve-codec.js';
export { buildRecordingSdp, type RecordingSdpOptions } from './build-recording-sdp.js';
export type * from './types.js';
