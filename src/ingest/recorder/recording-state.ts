/**
 * `recording_state.json`: a small file at the root of every call part folder saying whether
 * the recorder finished the part. It is written before any media (so a part folder always
 * says what call it belongs to), rewritten when the recorder closes, and by `recoverPart`
 * after a killed recorder; each write is a temporary file renamed into place. It goes into
 * the part's ZIP with everything else, so the archive itself says whether it is complete.
 *
 * ```json
 * {
 *   "format": "tapedeck-recording-state",
 *   "version": 1,
 *   "state": "interrupted",                      recording | closed | interrupted
 *   "call_type": "default",
 *   "call_id": "c1",
 *   "call_session_id": "cs1",
 *   "call_start_time": "2024-05-01T10:00:00.000Z",
 *   "part": 1,                                   1-based part number of the call
 *   "started_at": "2024-05-01T10:00:00.120Z",    when the recorder opened the part
 *   "ended_at": "2024-05-01T10:31:02.400Z",      closed: close() time; interrupted: last packet kept
 *   "recovered_at": "2024-05-01T10:40:00.000Z"   interrupted only
 * }
 * ```
 *
 * - `recording`: the recorder is running, or was killed; the folder's timing metadata may
 *   be missing or stale and its last rtpdump may end inside a record. Never archived.
 * - `closed`: every file was closed and every session's timing metadata written.
 * - `interrupted`: the recorder was killed; `recoverPart` cut each rtpdump after its last
 *   complete record and rebuilt the metadata from the files. What reached the disk is
 *   complete and consistent; whatever the recorder still held in memory is missing.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { commitFile } from '../../archive/writer/commit-file.js';
import { TapedeckError } from '../../errors.js';

export const RECORDING_STATE_FILE = 'recording_state.json';

export type PartState = 'recording' | 'closed' | 'interrupted';

export type RecordingState = {
  readonly state: PartState;
  readonly callType: string;
  readonly callId: string;
  readonly callSessionId: string;
  readonly callStartMs: number;
  readonly part: number;
  readonly startedAtMs: number;
  readonly endedAtMs?: number | undefined;
  readonly recoveredAtMs?: number | undefined;
};

const iso = (ms: number): string => new Date(ms).toISOString();

/** Writes `<root>/recording_state.json` (temporary file, then rename). */
export async function writeRecordingState(root: string, s: RecordingState): Promise<void> {
  const json: Record<string, unknown> = {
    format: 'tapedeck-recording-state',
    version: 1,
    state: s.state,
    call_type: s.callType,
    call_id: s.callId,
    call_session_id: s.callSessionId,
    call_start_time: iso(s.callStartMs),
    part: s.part,
    started_at: iso(s.startedAtMs),
  };
  if (s.endedAtMs !== undefined) json['ended_at'] = iso(s.endedAtMs);
  if (s.recoveredAtMs !== undefined) json['recovered_at'] = iso(s.recoveredAtMs);
  const text = `${JSON.stringify(json, null, 2)}\n`;
  await commitFile(path.join(root, RECORDING_STATE_FILE), (tmp) =>
    writeFile(tmp, text, { flag: 'wx' }),
  );
}

/**
 * Reads `<root>/recording_state.json`. Throws TapedeckError INPUT_NOT_FOUND when there is
 * none (not a recorder's part folder) and METADATA_INVALID when it is not one of ours.
 */
export async function readRecordingState(root: string): Promise<RecordingState> {
  const file = path.join(root, RECORDING_STATE_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new TapedeckError(
      'INPUT_NOT_FOUND',
      `${file}: cannot read (not a recorder's part folder?)`,
      { cause: error },
    );
  }
  const bad = (why: string): TapedeckError =>
    new TapedeckError('METADATA_INVALID', `${file}: ${why}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (
    typeof json !== 'object' ||
    json === null ||
    (json as Record<string, unknown>)['format'] !== 'tapedeck-recording-state'
  ) {
    throw bad('not a tapedeck recording state');
  }
  const o = json as Record<string, unknown>;
  const str = (key: string): string => {
    const v = o[key];
    if (typeof v !== 'string' || v === '') throw bad(`${key} must be a non-empty string`);
    return v;
  };
  const time = (key: string): number => {
    const ms = Date.parse(str(key));
    if (!Number.isFinite(ms)) throw bad(`${key} must be a date-time`);
    return ms;
  };
  const optionalTime = (key: string): number | undefined =>
    o[key] === undefined ? undefined : time(key);
  const state = str('state');
  if (state !== 'recording' && state !== 'closed' && state !== 'interrupted')
    throw bad(`state ${JSON.stringify(state)} is unknown`);
  const part = o['part'];
  if (typeof part !== 'number' || !Number.isInteger(part) || part < 1)
    throw bad('part must be a positive integer');
  return {
    state,
    callType: str('call_type'),
    callId: str('call_id'),
    callSessionId: str('call_session_id'),
    callStartMs: time('call_start_time'),
    part,
    startedAtMs: time('started_at'),
    endedAtMs: optionalTime('ended_at'),
    recoveredAtMs: optionalTime('recovered_at'),
  };
}
