/**
 * Types of the recorder core: what ingest pushes into, what a track is recorded as, and
 * what finishing or recovering a call part returns.
 */
import type { TrackType } from '../../archive/types.js';
import type { ResolvedCodec } from '../../sdp/types.js';

/** Where ingest delivers packets (UDP ingest, WHIP). */
export type PacketSink = {
  /**
   * One datagram exactly as received (RTP or a compound RTCP packet), in arrival order.
   * `arrivalMs` is the server's clock at arrival, Unix ms. The sink owns `packet` from
   * then on: the caller neither copies nor reuses it.
   */
  push(packet: Uint8Array, arrivalMs: number /* Unix ms */, isRtcp: boolean): void;
};

/** Codec parameters, when the caller has no negotiated SDP (e.g. an RTP track registered by parameters). */
export type TrackCodecParams = {
  /** Encoding name or MIME type: opus, VP8, VP9, H264, AV1 ("audio/opus", "video/VP8", … accepted). */
  readonly name: string;
  /** 0..127. */
  readonly payloadType: number;
  /** Default 48000 (Opus), 90000 (video). */
  readonly clockRate?: number;
  /** Audio: the rtpmap channel count. Default 2 for Opus (RFC 7587). */
  readonly channels?: number;
  /** fmtp parameters of `payloadType`. Default none. */
  readonly fmtp?: Readonly<Record<string, string>>;
  /** RTX (RFC 4588) payload type repairing `payloadType`. Default none. */
  readonly rtxPayloadType?: number;
};

/** Where the packets were received, written into each rtpdump's first line and the built SDP. */
export type TrackEndpoint = {
  /** Dotted IPv4. */
  readonly address: string;
  /** 1..65535. */
  readonly port: number;
};

export type TrackRecorderOptions = {
  /** Unique within the session; any text without control characters, at most 255 characters. */
  readonly trackId: string;
  readonly kind: 'audio' | 'video';
  /** Default TRACK_TYPE_AUDIO / TRACK_TYPE_VIDEO by kind. */
  readonly trackType?: TrackType;
  /** The codec (opus, VP8, VP9, H264 or AV1): RTX and FEC payload types never start segments or timing. */
  readonly codec: ResolvedCodec | TrackCodecParams;
  /**
   * The negotiated SDP. When given, each segment's SDP is its `m=<kind>` section listing the
   * codec's payload type (payload types, rtcp-fb and extmap lines kept). Default: an SDP
   * built from `codec` (src/sdp/build-recording-sdp.ts).
   */
  readonly sdpText?: string;
  /** Default 127.0.0.1 and 5004 (audio) / 5006 (video). */
  readonly endpoint?: TrackEndpoint;
  /**
   * Counters shared with other tracks (e.g. the service's metrics): every count the
   * track adds to its own `stats` is added here too, as it happens. Default none.
   */
  readonly tally?: RecorderTally;
};

/** Mutable counters many tracks add to; the fields mean what TrackRecorderStats' do. */
export type RecorderTally = {
  -readonly [K in Exclude<keyof TrackRecorderStats, 'segments'>]: number;
};

/** A tally at zero. */
export function emptyRecorderTally(): RecorderTally {
  return {
    rtpWritten: 0,
    rtcpWritten: 0,
    bytesWritten: 0,
    droppedMalformed: 0,
    droppedAfterClose: 0,
    droppedStale: 0,
    droppedUnassigned: 0,
    droppedWriteFailed: 0,
  };
}

/** What a `republish()` may change; omitted fields keep their value. */
export type RepublishUpdate = {
  readonly codec?: ResolvedCodec | TrackCodecParams;
  readonly sdpText?: string;
};

/**
 * A track's counters: every packet pushed is counted as written or as dropped (a sender
 * report also written at the start of the segment its SSRC opens counts twice).
 */
export type TrackRecorderStats = {
  /** Segments started (one rtpdump + sdp pair each). */
  readonly segments: number;
  /** RTP packets handed to a segment's writer (RTX/FEC included). */
  readonly rtpWritten: number;
  /** RTCP compound packets handed to a segment's writer. */
  readonly rtcpWritten: number;
  /** Packet bytes handed to the writers (as received, without rtpdump record headers). */
  readonly bytesWritten: number;
  /** Not RTP (RFC 3550 §A.1) or not RTCP (§A.2). */
  readonly droppedMalformed: number;
  /** Pushed after `close()`. */
  readonly droppedAfterClose: number;
  /** Late packets of the SSRC a segment change just left (within 1 s), kept out of the new segment. */
  readonly droppedStale: number;
  /** RTCP or RTX with no segment to go into (held before the first RTP packet; oldest dropped past 64, the rest at close). */
  readonly droppedUnassigned: number;
  /** Lost because a segment's file could not be created or written (see `failure`). */
  readonly droppedWriteFailed: number;
};

/** One file of a finished archive. */
export type ArchiveFileEntry = { readonly path: string; readonly size: number };

/** A call part's ZIP, written and renamed into place. */
export type FinalizedPart = {
  readonly path: string;
  /** Size of the ZIP file. */
  readonly bytes: number;
  /** Every entry of the ZIP, in archive order (manifest.json last), uncompressed sizes. */
  readonly files: readonly ArchiveFileEntry[];
  /** The part was recovered after its recorder was killed (recording_state.json says so). */
  readonly interrupted: boolean;
};
