/**
 * What an RTP track publishes, resolved from the registration request: its kind and
 * track type, the codec from its SDP, and the payload types the endpoint accepts.
 */
import type { TrackType } from '../archive/types.js';
import { TapedeckError } from '../errors.js';
import { parseSdp, resolveCodec, type MediaDescription, type ResolvedCodec } from '../sdp/index.js';

export const TRACK_TYPES = ['audio', 'video', 'screen_share', 'screen_share_audio'] as const;
export type ApiTrackType = (typeof TRACK_TYPES)[number];

const ARCHIVE_TRACK_TYPE: Readonly<Record<ApiTrackType, TrackType>> = {
  audio: 'TRACK_TYPE_AUDIO',
  video: 'TRACK_TYPE_VIDEO',
  screen_share: 'TRACK_TYPE_SCREEN_SHARE',
  screen_share_audio: 'TRACK_TYPE_SCREEN_SHARE_AUDIO',
};

export type TrackDescription = {
  readonly trackType: ApiTrackType;
  readonly archiveTrackType: TrackType;
  readonly kind: 'audio' | 'video';
  readonly codec: ResolvedCodec;
  /** Every payload type of the media section (codec, RTX, RED, FEC). */
  readonly payloadTypes: readonly number[];
  readonly sdpText: string;
};

function kindOf(trackType: ApiTrackType): 'audio' | 'video' {
  return trackType === 'audio' || trackType === 'screen_share_audio' ? 'audio' : 'video';
}

/**
 * Resolves `sdpText`'s `m=<kind>` section for `trackType`. A malformed SDP, one without
 * that section, or one without a supported codec is INVALID_ARGUMENT (400).
 */
export function describeTrack(trackType: ApiTrackType, sdpText: string): TrackDescription {
  const kind = kindOf(trackType);
  let media: MediaDescription | undefined;
  let codec: ResolvedCodec;
  try {
    media = parseSdp(sdpText).media.find((m) => m.media.toLowerCase() === kind);
    if (media === undefined)
      throw new TapedeckError('INVALID_ARGUMENT', `sdp has no m=${kind} section`);
    codec = resolveCodec(media);
  } catch (error) {
    if (error instanceof TapedeckError && error.code === 'INVALID_ARGUMENT') throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new TapedeckError('INVALID_ARGUMENT', `sdp: ${message}`, { cause: error });
  }
  return {
    trackType,
    archiveTrackType: ARCHIVE_TRACK_TYPE[trackType],
    kind,
    codec,
    payloadTypes: [...media.formats],
    sdpText,
  };
}
