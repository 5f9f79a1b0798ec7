/**
 * The call service's public shapes: its options, the views it returns (calls, recordings)
 * and the contract of tracks fed by another ingest (WHIP).
 */
import type { Kysely } from 'kysely';
import type { TapedeckMetrics } from '../api/metrics.js';
import type {
  Call,
  CallMember,
  Recording,
  RecordingFile,
  RecordingPart,
  Schema,
} from '../db/index.js';
import type { FileLink } from '../delivery/file-links.js';
import type { StorageService } from '../storage/storage-service.js';
import type { CapturedTrack } from './active-recording.js';
import type { RtpTrack } from './rtp-track.js';
import type { RawRecordingSettings } from './settings.js';
import type { ApiTrackType } from './track-description.js';

export type CallServiceOptions = {
  /** A migrated database. */
  readonly db: Kysely<Schema>;
  /** Spool at `<dataDir>/spool`, managed storage at `<dataDir>/recordings`. */
  readonly dataDir: string;
  /** IP literal RTP endpoints bind to (config `rtpHost`). */
  readonly rtpHost: string;
  /** Download URLs are signed with a key derived from it. */
  readonly apiSecret: string;
  readonly metrics?: TapedeckMetrics;
  /** Origin for URLs in events. Default: none (URLs are path + query). */
  readonly baseUrl?: () => string;
  /** Part length in seconds: each part is archived and announced on its own. Default 7200. */
  readonly partSeconds?: number;
  /** Told about errors ingest survives. Default: ignored. */
  readonly onError?: (error: unknown) => void;
  /** Kernel receive buffer asked for each RTP track's sockets. Default 4 MiB (capped by rmem_max). */
  readonly udpReceiveBufferBytes?: number;
  /** RTP/RTCP ports of `rtp_tracks` come from this inclusive range. Default: ephemeral ports. */
  readonly rtpPortRange?: { readonly min: number; readonly max: number };
  /** Storage configurations: where each recording is pinned and how its files are read. */
  readonly storage: StorageService;
  /** Called when a part was queued for delivery to a bucket (wakes the delivery worker). */
  readonly onHandOff?: () => void;
};

export type StartRecordingOptions = {
  /** The storage configuration to write to (else the call type's, else the managed default). */
  readonly externalStorage?: string;
  /** Where transcripts of this recording go (validated and kept; tapedeck writes none yet). */
  readonly transcriptionExternalStorage?: string;
};

export type AddRtpTrackInput = {
  readonly userId: string;
  readonly sessionId: string;
  readonly trackType: ApiTrackType;
  readonly sdp: string;
};

export type CallView = {
  readonly call: Call;
  readonly settings: RawRecordingSettings;
  readonly members: readonly CallMember[];
  readonly tracks: readonly RtpTrack[];
  /** Tracks fed by another ingest (WHIP), in the order they were added. */
  readonly externalTracks: readonly ExternalTrack[];
  readonly activeRecording: Recording | undefined;
};

/** A file of the managed local disk, resolved from its signed URL. */
export type DownloadableFile = RecordingFile & {
  readonly name: string;
  readonly absolutePath: string;
};

export type RecordingView = {
  readonly recording: Recording;
  readonly parts: readonly RecordingPart[];
  /** Where each file was written and, when readable, a download URL (relative for tapedeck's own). */
  readonly files: readonly FileLink[];
};

/**
 * A track fed by another ingest (WHIP): the call service attaches it and closes it, and
 * lists it in the call's view (`ingest`, e.g. `whip`; `apiTrackType`, the RTP tracks'
 * vocabulary; `publishing`: the publisher's session is live; `capturing`: a recording
 * writes its packets).
 */
export type ExternalTrack = CapturedTrack & {
  readonly ingest: string;
  readonly apiTrackType: ApiTrackType;
  readonly publishing: boolean;
  readonly capturing: boolean;
  close(): Promise<void>;
};
