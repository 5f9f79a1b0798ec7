/**
 * The calls and recordings service behind the `/v1` routes: call types, calls, RTP
 * tracks, and the raw recording lifecycle (see ActiveRecording and finishRecording).
 *
 * ```
 * start ─▶ recording ──(packets from the call's tracks ▶ spool part-1)──▶ stop / call end
 *   ─▶ stopping ─▶ finalizing (ZIP) ─▶ local storage ─▶ ready   (or ─▶ failed)
 * ```
 *
 * Operations on one call run one after another (a per-call queue), so start/stop/end and
 * track changes never interleave. Finishing a recording runs in the background; `idle()`
 * waits for it.
 */
import path from 'node:path';
import type { Kysely } from 'kysely';
import {
  addRecordingPart,
  appendEvent,
  callCid,
  createRecording,
  endCall,
  getCall,
  getCallType,
  getOrCreateCall,
  getRecording,
  listCallMembers,
  listCallTypes,
  listEventsForCall,
  listRecordingFiles,
  listRecordingParts,
  listRecordingsForCall,
  markCallLive,
  newId,
  setCallMember,
  transitionRecording,
  updateCallSettingsOverride,
  upsertCallType,
  type Call,
  type CallType,
  type Grants,
  type JsonObject,
  type Recording,
  type RecordingFile,
  type Schema,
  type StoredEvent,
} from '../db/index.js';
import { fileName, type FileLink } from '../delivery/file-links.js';
import { TapedeckError } from '../errors.js';
import type { PinnedStorage } from '../storage/storage-service.js';
import { ActiveRecording, type CapturedTrack } from './active-recording.js';
export type * from './call-types.js';
import type {
  AddRtpTrackInput,
  CallServiceOptions,
  CallView,
  DownloadableFile,
  ExternalTrack,
  RecordingView,
  StartRecordingOptions,
} from './call-types.js';
import { finishRecording, type FinishContext } from './finish-recording.js';
import { LocalStorage } from './local-storage.js';
import { linkRecordingFiles } from './recording-files.js';
import { deliverCutPart } from './part-rotation.js';
import { recoverRecordings, type RecoveryOutcome } from './recover-recordings.js';
import { RtpTrack } from './rtp-track.js';
import { effectiveRawRecording } from './settings.js';
import { createFileUrlSigner, type FileUrlSigner } from './signed-url.js';
import { describeTrack } from './track-description.js';

type CallRuntime = {
  readonly tracks: Map<string, RtpTrack>;
  /** WHIP tracks (not in CallView.tracks, which lists RTP endpoints). */
  readonly externalTracks: Map<string, ExternalTrack>;
  active: ActiveRecording | undefined;
  queue: Promise<unknown>;
};

export class CallService {
  readonly signer: FileUrlSigner;
  readonly storage: LocalStorage;
  readonly #db: Kysely<Schema>;
  readonly #options: CallServiceOptions;
  readonly #spoolRoot: string;
  readonly #calls = new Map<string, CallRuntime>();
  readonly #finishing = new Set<Promise<void>>();
  readonly #partTimers = new Map<ActiveRecording, NodeJS.Timeout>();
  readonly #finish: FinishContext;
  #closed = false;

  constructor(options: CallServiceOptions) {
    this.#options = options;
    this.#db = options.db;
    this.signer = createFileUrlSigner(options.apiSecret);
    this.storage = new LocalStorage(path.join(options.dataDir, 'recordings'));
    this.#spoolRoot = path.join(path.resolve(options.dataDir), 'spool');
    this.#finish = {
      db: options.db,
      storage: this.storage,
      signer: this.signer,
      baseUrl: options.baseUrl ?? (() => ''),
      ...(options.onHandOff !== undefined ? { onHandOff: options.onHandOff } : {}),
    };
  }

  // ── call types ────────────────────────────────────────────────────────────────────────

  async putCallType(
    name: string,
    input: {
      readonly settings: JsonObject;
      readonly grants: Grants;
      /** undefined: keep the current value; null: the managed default. */
      readonly externalStorage?: string | null;
    },
  ): Promise<CallType> {
    let externalStorage = input.externalStorage;
    if (externalStorage === undefined)
      externalStorage = (await getCallType(this.#db, name))?.externalStorage ?? null;
    else if (externalStorage !== null)
      await this.#options.storage.requireExists(externalStorage, 'external_storage');
    return upsertCallType(this.#db, {
      name,
      settings: input.settings,
      grants: input.grants,
      externalStorage,
    });
  }

  async getCallType(name: string): Promise<CallType> {
    const type = await getCallType(this.#db, name);
    if (type === undefined)
      throw new TapedeckError('NOT_FOUND', `call type ${name} does not exist`);
    return type;
  }

  listCallTypes(): Promise<CallType[]> {
    return listCallTypes(this.#db);
  }

  // ── calls ─────────────────────────────────────────────────────────────────────────────

  async getOrCreateCall(
    type: string,
    id: string,
    input: { readonly settingsOverride?: JsonObject; readonly createdBy?: string | null } = {},
  ): Promise<{ readonly view: CallView; readonly created: boolean }> {
    await this.getCallType(type);
    const { created } = await getOrCreateCall(this.#db, {
      type,
      id,
      createdBy: input.createdBy ?? null,
      ...(input.settingsOverride !== undefined ? { settingsOverride: input.settingsOverride } : {}),
    });
    return { view: await this.describeCall(type, id), created };
  }

  async updateCall(type: string, id: string, settingsOverride: JsonObject): Promise<CallView> {
    await updateCallSettingsOverride(this.#db, type, id, settingsOverride);
    return this.describeCall(type, id);
  }

  /** Stops the recording (if any), closes the call's tracks and ends the call. */
  endCall(type: string, id: string): Promise<CallView> {
    return this.#exclusive(type, id, async (runtime) => {
      await this.#requireCall(type, id);
      if (runtime.active !== undefined) await this.#stop(runtime);
      await Promise.all([...runtime.tracks.values()].map((t) => t.close()));
      runtime.tracks.clear();
      await Promise.all([...runtime.externalTracks.values()].map((t) => t.close()));
      runtime.externalTracks.clear();
      this.#updateTrackGauge();
      await endCall(this.#db, type, id);
      return this.describeCall(type, id);
    });
  }

  async describeCall(type: string, id: string): Promise<CallView> {
    const call = await this.#requireCall(type, id);
    const callTypeRow = await this.getCallType(type);
    const runtime = this.#calls.get(callCid(type, id));
    const activeId = runtime?.active?.recording.id;
    return {
      call,
      settings: effectiveRawRecording(callTypeRow.settings, call.settingsOverride),
      members: await listCallMembers(this.#db, type, id),
      tracks: [...(runtime?.tracks.values() ?? [])],
      externalTracks: [...(runtime?.externalTracks.values() ?? [])],
      activeRecording: activeId === undefined ? undefined : await getRecording(this.#db, activeId),
    };
  }

  // ── recordings ────────────────────────────────────────────────────────────────────────

  /** CONFLICT when raw recording is disabled for the call, the call ended, or it already records. */
  startRecording(
    type: string,
    id: string,
    options: StartRecordingOptions = {},
  ): Promise<Recording> {
    return this.#exclusive(type, id, async (runtime) => {
      const view = await this.describeCall(type, id);
      if (view.settings.mode === 'disabled') {
        throw new TapedeckError(
          'CONFLICT',
          `raw recording is disabled for call ${view.call.cid} (settings.raw_recording.mode is "disabled")`,
        );
      }
      return this.#start(runtime, view, options);
    });
  }

  /** CONFLICT when the call is not recording. Returns the recording in status `stopping`. */
  stopRecording(type: string, id: string): Promise<Recording> {
    return this.#exclusive(type, id, async (runtime) => {
      await this.#requireCall(type, id);
      if (runtime.active === undefined)
        throw new TapedeckError('CONFLICT', `call ${callCid(type, id)} is not recording`);
      return this.#stop(runtime);
    });
  }

  async listRecordings(type: string, id: string): Promise<RecordingView[]> {
    await this.#requireCall(type, id);
    const recordings = await listRecordingsForCall(this.#db, type, id);
    return Promise.all(recordings.map((r) => this.#view(r)));
  }

  async getRecording(recordingId: string): Promise<RecordingView> {
    const recording = await getRecording(this.#db, recordingId);
    if (recording === undefined)
      throw new TapedeckError('NOT_FOUND', `recording ${recordingId} does not exist`);
    return this.#view(recording);
  }

  async listEvents(type: string, id: string, afterSeq = 0): Promise<StoredEvent[]> {
    await this.#requireCall(type, id);
    return listEventsForCall(this.#db, callCid(type, id), { afterSeq, limit: 1000 });
  }

  /**
   * The stored file a signed download URL names, or FORBIDDEN (bad or expired signature)
   * / NOT_FOUND (no such file of that recording).
   */
  async resolveDownload(
    recordingId: string,
    name: string,
    expires: string,
    sig: string,
  ): Promise<DownloadableFile> {
    if (!this.signer.verify(recordingId, name, expires, sig))
      throw new TapedeckError('FORBIDDEN', 'download URL signature is invalid or expired');
    const file = (await listRecordingFiles(this.#db, recordingId)).find(
      (f) =>
        f.storageProvider !== 's3' &&
        f.storageProvider !== 'gcs' &&
        f.storageProvider !== 'abs' &&
        fileName(f) === name,
    );
    if (file === undefined)
      throw new TapedeckError('NOT_FOUND', `recording ${recordingId} has no file ${name}`);
    return { ...file, name, absolutePath: this.storage.pathOf(recordingId, name) };
  }

  // ── RTP tracks ────────────────────────────────────────────────────────────────────────

  /** Opens a UDP endpoint for the track; in `auto-on` mode the first track starts the recording. */
  addRtpTrack(type: string, id: string, input: AddRtpTrackInput): Promise<RtpTrack> {
    const description = describeTrack(input.trackType, input.sdp);
    return this.#exclusive(type, id, async (runtime) => {
      const call = await this.#requireCall(type, id);
      if (call.state === 'ended') throw new TapedeckError('CONFLICT', `call ${call.cid} has ended`);
      const track = await RtpTrack.open({
        trackId: newId(),
        userId: input.userId,
        sessionId: input.sessionId,
        description,
        host: this.#options.rtpHost,
        metrics: this.#options.metrics,
        ...(this.#options.udpReceiveBufferBytes !== undefined
          ? { receiveBufferBytes: this.#options.udpReceiveBufferBytes }
          : {}),
        ...(this.#options.rtpPortRange !== undefined
          ? { portRange: this.#options.rtpPortRange }
          : {}),
        ...(this.#options.onError !== undefined ? { onError: this.#options.onError } : {}),
      });
      await this.#admitTrack(runtime, type, id, runtime.tracks, track);
      return track;
    });
  }

  removeRtpTrack(type: string, id: string, trackId: string): Promise<void> {
    return this.#exclusive(type, id, async (runtime) => {
      const track = runtime.tracks.get(trackId);
      if (track === undefined)
        throw new TapedeckError(
          'NOT_FOUND',
          `call ${callCid(type, id)} has no RTP track ${trackId}`,
        );
      runtime.active?.detach(track);
      runtime.tracks.delete(trackId);
      this.#updateTrackGauge();
      await track.close();
    });
  }

  // ── external (WHIP) tracks ────────────────────────────────────────────────────────────

  /**
   * Adds a track fed by another ingest (WHIP): like addRtpTrack, the user becomes a member
   * (role `user`) and the call live; an active recording captures it, and in `auto-on` mode
   * the first track starts the recording. On failure the track is closed.
   */
  addExternalTrack(type: string, id: string, track: ExternalTrack): Promise<void> {
    return this.#exclusive(type, id, async (runtime) => {
      let call: Call;
      try {
        call = await this.#requireCall(type, id);
      } catch (error) {
        await track.close();
        throw error;
      }
      if (call.state === 'ended') {
        await track.close();
        throw new TapedeckError('CONFLICT', `call ${call.cid} has ended`);
      }
      await this.#admitTrack(runtime, type, id, runtime.externalTracks, track);
    });
  }

  /** Detaches and closes an external track; a no-op for an unknown id. */
  removeExternalTrack(type: string, id: string, trackId: string): Promise<void> {
    return this.#exclusive(type, id, async (runtime) => {
      const track = runtime.externalTracks.get(trackId);
      if (track === undefined) return;
      runtime.active?.detach(track);
      runtime.externalTracks.delete(trackId);
      this.#updateTrackGauge();
      await track.close();
    });
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────────────────

  /** Resolves when no recording is being finished. */
  async idle(): Promise<void> {
    while (this.#finishing.size > 0) await Promise.allSettled([...this.#finishing]);
  }

  /**
   * Startup: finalizes every recording a crash left active, from what reached the spool
   * (see recover-recordings.ts). Run once, before new recordings start.
   */
  recoverInterrupted(): Promise<RecoveryOutcome[]> {
    return recoverRecordings(this.#finish, this.#spoolRoot);
  }

  /** Shutdown: stops and finishes every recording, closes every endpoint. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled(
      [...this.#calls.keys()].map((cid) => {
        const [type = '', ...rest] = cid.split(':');
        return this.#exclusive(type, rest.join(':'), async (runtime) => {
          if (runtime.active !== undefined) await this.#stop(runtime);
          await Promise.all([...runtime.tracks.values()].map((t) => t.close()));
          runtime.tracks.clear();
          await Promise.all([...runtime.externalTracks.values()].map((t) => t.close()));
          runtime.externalTracks.clear();
        });
      }),
    );
    this.#updateTrackGauge();
    await this.idle();
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────

  /**
   * A new track joins its call (RTP or external): listed in `tracks`, its user a member
   * (role `user`), the call live; an active recording captures it, and in `auto-on` mode
   * the first track starts the recording. On failure it is removed and closed.
   */
  async #admitTrack<T extends CapturedTrack & { close(): Promise<void> }>(
    runtime: CallRuntime,
    type: string,
    id: string,
    tracks: Map<string, T>,
    track: T,
  ): Promise<void> {
    try {
      if (this.#closed) throw new TapedeckError('UNAVAILABLE', 'the service is shutting down');
      tracks.set(track.trackId, track);
      this.#updateTrackGauge();
      const members = await listCallMembers(this.#db, type, id);
      if (!members.some((m) => m.userId === track.userId))
        await setCallMember(this.#db, {
          callType: type,
          callId: id,
          userId: track.userId,
          role: 'user',
        });
      await markCallLive(this.#db, type, id);
      if (runtime.active !== undefined) runtime.active.attach(track);
      else {
        const view = await this.describeCall(type, id);
        if (view.settings.mode === 'auto-on') await this.#start(runtime, view);
      }
    } catch (error) {
      tracks.delete(track.trackId);
      this.#updateTrackGauge();
      await track.close();
      throw error;
    }
  }

  async #requireCall(type: string, id: string): Promise<Call> {
    const call = await getCall(this.#db, type, id);
    if (call === undefined)
      throw new TapedeckError('NOT_FOUND', `call ${callCid(type, id)} does not exist`);
    return call;
  }

  #exclusive<T>(type: string, id: string, fn: (runtime: CallRuntime) => Promise<T>): Promise<T> {
    const cid = callCid(type, id);
    let runtime = this.#calls.get(cid);
    if (runtime === undefined) {
      runtime = {
        tracks: new Map(),
        externalTracks: new Map(),
        active: undefined,
        queue: Promise.resolve(),
      };
      this.#calls.set(cid, runtime);
    }
    const rt = runtime;
    const result = rt.queue.then(() => fn(rt));
    rt.queue = result.catch(() => undefined);
    return result;
  }

  async #start(
    runtime: CallRuntime,
    view: CallView,
    options: StartRecordingOptions = {},
  ): Promise<Recording> {
    if (this.#closed) throw new TapedeckError('UNAVAILABLE', 'the service is shutting down');
    if (view.call.state === 'ended')
      throw new TapedeckError('CONFLICT', `call ${view.call.cid} has ended`);
    if (runtime.active !== undefined) {
      throw new TapedeckError(
        'CONFLICT',
        `call ${view.call.cid} is already recording (recording ${runtime.active.recording.id})`,
      );
    }
    const pinned = await this.#pinStorage(view.call.type, options);
    const created = await createRecording(this.#db, {
      callType: view.call.type,
      callId: view.call.id,
      recordingType: 'raw',
      storageName: pinned.name,
      storageProvider: pinned.provider,
      storageSnapshot: pinned.snapshot,
      transcriptionStorageName: options.transcriptionExternalStorage ?? null,
    });
    let active: ActiveRecording;
    try {
      active = await ActiveRecording.open({
        recording: created,
        spoolRoot: this.#spoolRoot,
        audioOnly: view.settings.audioOnly,
        tally: this.#options.metrics?.ingest.recorder,
      });
      await addRecordingPart(this.#db, { recordingId: created.id, partNumber: 1 });
    } catch (error) {
      await transitionRecording(this.#db, created.id, 'failed', {
        error: { code: 'INTERNAL', message: 'could not open the spool' },
      }).catch(() => undefined);
      throw error;
    }
    const recording = await transitionRecording(this.#db, created.id, 'recording');
    runtime.active = active;
    this.#schedulePartCut(active);
    for (const track of runtime.tracks.values()) active.attach(track);
    for (const track of runtime.externalTracks.values()) active.attach(track);
    this.#options.metrics?.activeRecordings.inc();
    await appendEvent(this.#db, {
      type: 'call.recording_started',
      callCid: view.call.cid,
      recordingId: recording.id,
      payload: {
        recording_id: recording.id,
        recording_type: 'raw',
        audio_only: view.settings.audioOnly,
      },
    });
    return recording;
  }

  async #stop(runtime: CallRuntime): Promise<Recording> {
    const active = runtime.active!;
    runtime.active = undefined;
    clearTimeout(this.#partTimers.get(active));
    this.#partTimers.delete(active);
    this.#options.metrics?.activeRecordings.dec();
    const recording = await transitionRecording(this.#db, active.recording.id, 'stopping');
    await appendEvent(this.#db, {
      type: 'call.recording_stopped',
      callCid: callCid(recording.callType, recording.callId),
      recordingId: recording.id,
      payload: { recording_id: recording.id, recording_type: 'raw' },
    });
    const done = finishRecording(this.#finish, active).finally(() => this.#finishing.delete(done));
    this.#finishing.add(done);
    return recording;
  }

  /** After `partSeconds`, cuts the recording into its next part and delivers the previous one. */
  #schedulePartCut(active: ActiveRecording): void {
    const { callType, callId, id } = active.recording;
    const timer = setTimeout(
      () => {
        this.#partTimers.delete(active);
        this.#exclusive(callType, callId, async (runtime) => {
          if (runtime.active !== active || this.#closed) return;
          const cut = await active.cut();
          this.#schedulePartCut(active);
          await addRecordingPart(this.#db, { recordingId: id, partNumber: active.partNumber });
          const done: Promise<void> = deliverCutPart(this.#finish, active.recording, cut).finally(
            () => {
              active.pendingParts.delete(done);
              this.#finishing.delete(done);
            },
          );
          active.pendingParts.add(done);
          this.#finishing.add(done);
        }).catch((error: unknown) => this.#options.onError?.(error));
      },
      (this.#options.partSeconds ?? 7200) * 1000,
    );
    timer.unref();
    this.#partTimers.set(active, timer);
  }

  async #view(recording: Recording): Promise<RecordingView> {
    const [parts, files] = await Promise.all([
      listRecordingParts(this.#db, recording.id),
      listRecordingFiles(this.#db, recording.id),
    ]);
    return {
      recording,
      parts,
      files: await this.#links(recording, files),
    };
  }

  /** Each file with its location and, where the storage allows reading, a download URL. */
  #links(recording: Recording, files: readonly RecordingFile[]): Promise<FileLink[]> {
    return linkRecordingFiles(
      { signer: this.signer, storage: this.#options.storage },
      recording,
      files,
    );
  }

  /** The storage a new recording is pinned to: named at start ▶ the call type's ▶ managed. */
  async #pinStorage(callType: string, options: StartRecordingOptions): Promise<PinnedStorage> {
    const storage = this.#options.storage;
    if (options.transcriptionExternalStorage !== undefined)
      await storage.requireExists(
        options.transcriptionExternalStorage,
        'transcription_external_storage',
      );
    return storage.pin(options.externalStorage, (await this.getCallType(callType)).externalStorage);
  }

  #updateTrackGauge(): void {
    let n = 0;
    for (const runtime of this.#calls.values())
      n += runtime.tracks.size + runtime.externalTracks.size;
    this.#options.metrics?.tracks.set(n);
  }
}
