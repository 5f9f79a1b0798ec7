/** WHIP ingest (RFC 9725) over werift: sessions and framework-free HTTP helpers. */
export {
  WhipSession,
  type WhipSessionOptions,
  type WhipSessionStats,
  type WhipTrackInfo,
} from './whip-session.js';
export {
  SDP_CONTENT_TYPE,
  WhipSessionRegistry,
  handleWhipDelete,
  handleWhipPost,
  type WhipPostOptions,
  type WhipPostResult,
} from './whip-http.js';
