/**
 * The recorder core: tracks → segments (rtpdump + sdp) → session timing metadata → one
 * ZIP per call part, and recovery of a part whose recorder was killed.
 */
export { CallPartRecorder, type CallPartOptions } from './call-part-recorder.js';
export { finalizePart, type FinalizeOptions } from './finalize-part.js';
export {
  RECORDING_STATE_FILE,
  readRecordingState,
  type PartState,
  type RecordingState,
} from './recording-state.js';
export { recoverPart, type RecoveredPart, type RecoveredSession } from './recover-part.js';
export { SessionRecorder, TIMING_METADATA_FILE } from './session-recorder.js';
export {
  SegmentTimingTracker,
  type SegmentTimingTrackerOptions,
  type TrackedCodec,
} from './segment-timing-tracker.js';
export { TrackRecorder } from './track-recorder.js';
export { emptyRecorderTally } from './types.js';
export type {
  ArchiveFileEntry,
  FinalizedPart,
  PacketSink,
  RecorderTally,
  RepublishUpdate,
  TrackCodecParams,
  TrackEndpoint,
  TrackRecorderOptions,
  TrackRecorderStats,
} from './types.js';
