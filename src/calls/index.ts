/** Call types, calls, RTP tracks and the raw recording lifecycle. */
export {
  CallService,
  type AddRtpTrackInput,
  type CallServiceOptions,
  type CallView,
  type DownloadableFile,
  type ExternalTrack,
  type RecordingView,
} from './call-service.js';
export {
  ActiveRecording,
  type ActiveRecordingOptions,
  type CapturedTrack,
} from './active-recording.js';
export { finishRecording, partArchiveName, type FinishContext } from './finish-recording.js';
export { LocalStorage, sha256Of, type StoredFile } from './local-storage.js';
export { RtpTrack, type RtpTrackOptions } from './rtp-track.js';
export {
  DEFAULT_RAW_RECORDING,
  RAW_RECORDING_MODES,
  effectiveRawRecording,
  type RawRecordingMode,
  type RawRecordingSettings,
} from './settings.js';
export {
  DEFAULT_URL_TTL_SECONDS,
  createFileUrlSigner,
  type FileUrlSigner,
  type SignOptions,
  type SignedFileUrl,
} from './signed-url.js';
export {
  TRACK_TYPES,
  describeTrack,
  type ApiTrackType,
  type TrackDescription,
} from './track-description.js';
