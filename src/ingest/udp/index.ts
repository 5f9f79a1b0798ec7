/** Plain RTP/UDP ingest: one endpoint per track. */
export { UdpTrackEndpoint, type UdpAddress } from './udp-track-endpoint.js';
export type { ExpectedSource, UdpTrackEndpointOptions } from './udp-endpoint-options.js';
export type { UdpEndpointStats } from './udp-endpoint-stats.js';
export type { LatchedSource } from './source-latch.js';
export type { PacketSink } from '../recorder/types.js';
