/** `list-tracks`: the call model as a table, JSON, or sorted unique id lists. */
import type { CallModel, Track } from '../archive/types.js';

export type ListFormat = 'table' | 'json' | 'users' | 'sessions' | 'tracks';

export type TrackListing = {
  readonly callType: string;
  readonly callId: string;
  readonly callSessionId: string;
  readonly callStartTime: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly trackId: string;
  readonly trackType: string;
  readonly trackKind: 'audio' | 'video';
  readonly isScreenshare: boolean;
  readonly codec: string;
  readonly segmentCount: number;
  readonly trackStartTime: string;
  readonly trackEndTime: string;
  readonly segments: readonly { readonly baseFilename: string; readonly startTime: string; readonly endTime: string }[];
};

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function describeTrack(track: Track): TrackListing {
  const first = track.segments[0];
  const last = track.segments[track.segments.length - 1];
  return {
    callType: track.callType,
    callId: track.callId,
    callSessionId: track.callSessionId,
    callStartTime: iso(track.callStartMs),
    userId: track.userId,
    sessionId: track.sessionId,
    trackId: track.trackId,
    trackType: track.trackType,
    trackKind: track.kind,
    isScreenshare: track.isScreenshare,
    codec: track.codec,
    segmentCount: track.segments.length,
    trackStartTime: first ? iso(first.timing.firstRtpUnixTimestamp) : '',
    trackEndTime: last ? iso(last.timing.lastRtpUnixTimestamp) : '',
    segments: track.segments.map((s) => ({
      baseFilename: s.timing.baseFilename,
      startTime: iso(s.timing.firstRtpUnixTimestamp),
      endTime: iso(s.timing.lastRtpUnixTimestamp),
    })),
  };
}

function uniqueSorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** Renders the listing; `tracks` are already filtered and in the model's order. */
export function renderTrackList(model: CallModel, tracks: readonly Track[], format: ListFormat): string {
  switch (format) {
    case 'users':
      return lines(uniqueSorted(tracks.map((t) => t.userId)));
    case 'sessions':
      return lines(uniqueSorted(tracks.map((t) => t.sessionId)));
    case 'tracks':
      return lines(uniqueSorted(tracks.map((t) => t.trackId)));
    case 'json':
      return (
        JSON.stringify(
          {
            callType: model.callType,
            callId: model.callId,
            callStartTime: iso(model.callStartMs),
            tracks: tracks.map(describeTrack),
            userIds: uniqueSorted(tracks.map((t) => t.userId)),
            sessions: uniqueSorted(tracks.map((t) => t.sessionId)),
          },
          null,
          2,
        ) + '\n'
      );
    case 'table':
      return renderTable(tracks);
  }
}

function lines(values: readonly string[]): string {
  return values.map((v) => `${v}\n`).join('');
}

function renderTable(tracks: readonly Track[]): string {
  if (tracks.length === 0) return 'No tracks found.\n';
  const header = ['USER ID', 'SESSION ID', 'TRACK ID', 'TYPE', 'SCREENSHARE', 'CODEC', 'SEGMENTS'];
  const rows = tracks.map((t) => [
    t.userId,
    t.sessionId,
    t.trackId,
    t.kind,
    t.isScreenshare ? 'Yes' : 'No',
    t.codec,
    String(t.segments.length),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: readonly string[]): string =>
    cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd() + '\n';
  return fmt(header) + fmt(widths.map((w) => '-'.repeat(w))) + rows.map(fmt).join('');
}
