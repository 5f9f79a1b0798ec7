/** Timing metadata (one JSON per user session) and the call model built from it. (CONTRACT) */

export type TrackType =
  | 'TRACK_TYPE_AUDIO'
  | 'TRACK_TYPE_VIDEO'
  | 'TRACK_TYPE_SCREEN_SHARE'
  | 'TRACK_TYPE_SCREEN_SHARE_AUDIO';

export type SegmentTiming = {
  readonly baseFilename: string;
  /** MIME as written: audio/opus, video/VP8, ... */
  readonly codec: string;
  readonly trackId: string;
  readonly trackType: TrackType;
  readonly firstRtpRtpTimestamp: number;
  readonly lastRtpRtpTimestamp: number;
  /** Server arrival time of first / last packet, Unix ms. */
  readonly firstRtpUnixTimestamp: number;
  readonly lastRtpUnixTimestamp: number;
  /** First / last sender report: RTP time and NTP time as Unix ms; undefined when none. */
  readonly firstRtcpRtpTimestamp: number | undefined;
  readonly firstRtcpNtpTimestamp: number | undefined;
  readonly lastRtcpRtpTimestamp: number | undefined;
  readonly lastRtcpNtpTimestamp: number | undefined;
  readonly firstKeyFrameOffsetMs: number | undefined;
  readonly maxFrameDimension: { readonly width: number; readonly height: number } | undefined;
  readonly ssrc: number | undefined;
};

export type SessionTiming = {
  readonly callType: string;
  readonly callId: string;
  readonly callSessionId: string;
  /** RFC 3339 as written, and as Unix ms. */
  readonly callStartTime: string;
  readonly callStartMs: number;
  readonly callEndTime: string | undefined;
  readonly participantId: string;
  readonly userSessionId: string;
  readonly segments: { readonly audio: readonly SegmentTiming[]; readonly video: readonly SegmentTiming[] };
};

/** One continuous run of a track: an rtpdump + sdp pair. Paths are absolute on disk. */
export type Segment = {
  readonly timing: SegmentTiming;
  readonly rtpdumpPath: string;
  readonly sdpPath: string;
};

export type Track = {
  readonly callType: string;
  readonly callId: string;
  readonly callSessionId: string;
  readonly callStartMs: number;
  readonly userId: string;
  readonly sessionId: string;
  readonly trackId: string;
  readonly kind: 'audio' | 'video';
  readonly trackType: TrackType;
  readonly isScreenshare: boolean;
  readonly codec: string;
  /** Sorted by first packet arrival. */
  readonly segments: readonly Segment[];
};

export type CallModel = {
  readonly callType: string;
  readonly callId: string;
  readonly callStartMs: number;
  /** Sorted by (userId, sessionId, kind audio before video, screenshare last, trackId). */
  readonly tracks: readonly Track[];
};
