/**
 * The call model: participants ▸ sessions ▸ tracks ▸ segments, built from an archive folder.
 *
 * ```
 * <root>/manifest.json                          verified first when present
 * <root>/<user>/<session>/timing_metadata.json  one per user session (or *_timing_metadata.json,
 * <root>/<user>/<session>/audio_1.rtpdump         the reference tool's variant, often all in
 * <root>/<user>/<session>/audio_1.sdp             one folder with globally unique base names)
 * ```
 *
 * - The tree is walked without following symbolic links.
 * - Each segment's `<base_filename>.rtpdump` and `.sdp` are looked up next to its metadata
 *   file, else by a unique exact basename elsewhere (call-model-resolve.ts).
 * - Segments group into tracks by (participant_id, user_session_id, track_id, kind), kind
 *   being the list the segment is in (segments.audio / segments.video); segments sort by
 *   first packet arrival, then base name.
 * - Tracks sort by userId, sessionId, audio before video, camera/microphone before
 *   screenshare, trackId (code point order throughout: the same archive always gives the
 *   same order).
 * - Call type and id come from the metadata and must agree across sessions; the call start
 *   is the earliest session's.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { TapedeckError } from '../errors.js';
import { ArchiveFileIndex, isTimingMetadataFile } from './call-model-resolve.js';
import { MANIFEST_FILE_NAME, compareCodePoints } from './manifest.js';
import { listArchiveFiles, readManifestFile, verifyManifest } from './manifest-node.js';
import { parseTimingMetadataText } from './timing-metadata.js';
import type { CallModel, Segment, SegmentTiming, SessionTiming, Track } from './types.js';

export { filterTracks, type TrackFilter } from './call-model-filter.js';

export type LoadCallModelOptions = {
  /**
   * Check manifest.json (every listed file present, same size and SHA-256; every file the
   * model uses listed) before building the model. Default: true when the archive root has
   * a manifest.json; true without one throws MANIFEST_MISMATCH.
   */
  readonly verifyManifest?: boolean | undefined;
  /** Largest timing metadata file read, in bytes. Default 16 MiB. */
  readonly maxMetadataBytes?: number | undefined;
  /** Stops the walk or the verification with TapedeckError('ABORTED'). Default: none. */
  readonly signal?: AbortSignal | undefined;
};

const DEFAULT_MAX_METADATA_BYTES = 16 * 1024 * 1024;

type LoadedSession = { readonly rel: string; readonly timing: SessionTiming };

type TrackBuilder = {
  readonly session: SessionTiming;
  readonly kind: 'audio' | 'video';
  readonly segments: Segment[];
};

async function readMetadata(root: string, rel: string, maxBytes: number): Promise<SessionTiming> {
  const file = path.join(root, ...rel.split('/'));
  let text: string;
  try {
    const { size } = await stat(file);
    if (size > maxBytes) {
      throw new TapedeckError(
        'ARCHIVE_LIMIT',
        `${rel}: ${size} bytes, more than the ${maxBytes}-byte limit for timing metadata`,
      );
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof TapedeckError) throw error;
    throw new TapedeckError('INPUT_NOT_FOUND', `${rel}: cannot read timing metadata`, {
      cause: error,
    });
  }
  return parseTimingMetadataText(text, rel);
}

function checkCallAgreement(sessions: readonly LoadedSession[]): void {
  const [first, ...rest] = sessions;
  if (!first) return;
  for (const other of rest) {
    for (const [field, key] of [
      ['call_id', 'callId'],
      ['call_type', 'callType'],
    ] as const) {
      if (other.timing[key] !== first.timing[key]) {
        throw new TapedeckError(
          'METADATA_INVALID',
          `${other.rel}: ${field} ${JSON.stringify(other.timing[key])} differs from ${JSON.stringify(first.timing[key])} in ${first.rel}`,
        );
      }
    }
  }
}

function compareSegments(a: Segment, b: Segment): number {
  return (
    a.timing.firstRtpUnixTimestamp - b.timing.firstRtpUnixTimestamp ||
    compareCodePoints(a.timing.baseFilename, b.timing.baseFilename) ||
    compareCodePoints(a.rtpdumpPath, b.rtpdumpPath)
  );
}

function isScreenshare(timing: SegmentTiming): boolean {
  return (
    timing.trackType === 'TRACK_TYPE_SCREEN_SHARE' ||
    timing.trackType === 'TRACK_TYPE_SCREEN_SHARE_AUDIO'
  );
}

function compareTracks(a: Track, b: Track): number {
  return (
    compareCodePoints(a.userId, b.userId) ||
    compareCodePoints(a.sessionId, b.sessionId) ||
    (a.kind === b.kind ? 0 : a.kind === 'audio' ? -1 : 1) ||
    Number(a.isScreenshare) - Number(b.isScreenshare) ||
    compareCodePoints(a.trackId, b.trackId)
  );
}

function finishTrack(builder: TrackBuilder): Track | undefined {
  const segments = [...builder.segments].sort(compareSegments);
  const first = segments[0];
  if (!first) return undefined;
  const { session } = builder;
  return {
    callType: session.callType,
    callId: session.callId,
    callSessionId: session.callSessionId,
    callStartMs: session.callStartMs,
    userId: session.participantId,
    sessionId: session.userSessionId,
    trackId: first.timing.trackId,
    kind: builder.kind,
    trackType: first.timing.trackType,
    isScreenshare: isScreenshare(first.timing),
    codec: first.timing.codec,
    segments,
  };
}

/**
 * Builds the call model of an archive folder (see the module comment). Throws:
 * INPUT_NOT_FOUND (no such folder; a segment's file missing:
 * `u/s/timing_metadata.json: segment audio_1 refers to audio_1.rtpdump, which is not in the archive`),
 * NO_TRACKS (no timing metadata file at all), METADATA_INVALID (a bad document; sessions
 * disagreeing on call id or type; one file claimed by two segments), MANIFEST_MISMATCH,
 * ARCHIVE_LIMIT (an oversized metadata file).
 */
export async function loadCallModel(
  root: string,
  options: LoadCallModelOptions = {},
): Promise<CallModel> {
  const rootAbs = path.resolve(root);
  const maxBytes = options.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES;
  const signal = options.signal;
  const files = await listArchiveFiles(rootAbs, { signal });
  const index = new ArchiveFileIndex(files);

  let listed: ReadonlySet<string> | undefined;
  if (options.verifyManifest ?? index.has(MANIFEST_FILE_NAME)) {
    const manifest = index.has(MANIFEST_FILE_NAME) ? await readManifestFile(rootAbs) : undefined;
    if (!manifest)
      throw new TapedeckError(
        'MANIFEST_MISMATCH',
        `${MANIFEST_FILE_NAME}: missing, and verification was asked for`,
      );
    await verifyManifest(rootAbs, manifest, { signal });
    listed = new Set(manifest.files.map((f) => f.path));
  }
  const requireListed = (rel: string): void => {
    if (listed && !listed.has(rel)) {
      throw new TapedeckError(
        'MANIFEST_MISMATCH',
        `${rel}: in the archive but not listed in ${MANIFEST_FILE_NAME}`,
      );
    }
  };

  const metadataFiles = files.filter(isTimingMetadataFile);
  if (metadataFiles.length === 0) {
    throw new TapedeckError(
      'NO_TRACKS',
      'no timing metadata (timing_metadata.json or *_timing_metadata.json) in the archive',
    );
  }
  const sessions: LoadedSession[] = [];
  for (const rel of metadataFiles) {
    if (signal?.aborted)
      throw new TapedeckError('ABORTED', 'operation aborted', { cause: signal.reason });
    requireListed(rel);
    sessions.push({ rel, timing: await readMetadata(rootAbs, rel, maxBytes) });
  }
  checkCallAgreement(sessions);

  const tracks = new Map<string, TrackBuilder>();
  const claimedBy = new Map<string, string>();
  for (const { rel, timing } of sessions) {
    for (const kind of ['audio', 'video'] as const) {
      for (const segment of timing.segments[kind]) {
        const name = segment.baseFilename;
        const rtpdump = index.resolve(rel, name, `${name}.rtpdump`);
        const sdp = index.resolve(rel, name, `${name}.sdp`);
        const claimant = claimedBy.get(rtpdump);
        if (claimant !== undefined) {
          throw new TapedeckError(
            'METADATA_INVALID',
            `${rel}: segment ${name} refers to ${rtpdump}, which ${claimant} also uses`,
          );
        }
        claimedBy.set(rtpdump, `${rel} (segment ${name})`);
        requireListed(rtpdump);
        requireListed(sdp);
        const key = JSON.stringify([
          timing.participantId,
          timing.userSessionId,
          segment.trackId,
          kind,
        ]);
        let builder = tracks.get(key);
        if (!builder) {
          builder = { session: timing, kind, segments: [] };
          tracks.set(key, builder);
        }
        builder.segments.push({
          timing: segment,
          rtpdumpPath: path.join(rootAbs, ...rtpdump.split('/')),
          sdpPath: path.join(rootAbs, ...sdp.split('/')),
        });
      }
    }
  }

  const first = sessions[0]?.timing;
  return {
    callType: first?.callType ?? '',
    callId: first?.callId ?? '',
    callStartMs: sessions.reduce(
      (min, s) => Math.min(min, s.timing.callStartMs),
      Number.POSITIVE_INFINITY,
    ),
    tracks: [...tracks.values()]
      .map(finishTrack)
      .filter((t): t is Track => t !== undefined)
      .sort(compareTracks),
  };
}
