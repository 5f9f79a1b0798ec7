/**
 * Shared by the delivery tests: a short call recorded on one RTP audio track fed with
 * synthetic Opus, through the SDK, and waiting for a recording to settle.
 */
import type { Recording, TapedeckCall, TapedeckClient } from '../../packages/client/src/index.js';
import { OPUS_SDP } from '../calls/support.js';
import { sendSyntheticOpus } from '../helpers/synthetic-opus.js';

/**
 * Waits until the service has accepted `count` packets on the track (GET call → tracks[]
 * `packets_accepted`): sending is asynchronous to the service, and stopping before the
 * packets were read would record nothing.
 */
export async function untilAccepted(
  call: TapedeckCall,
  trackId: string,
  count: number,
): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const track = (await call.get()).call.tracks.find((t) => t.track_id === trackId) as
      { packets_accepted?: number } | undefined;
    if ((track?.packets_accepted ?? 0) >= count) return;
    if (Date.now() > deadline) throw new Error(`the service accepted fewer than ${count} packets`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Statuses a recording rests in until someone acts. */
const SETTLED = new Set(['ready', 'failed', 'copy_failed']);

/** Polls until the recording is ready, failed or copy_failed, and returns it. */
export async function settledRecording(client: TapedeckClient, id: string): Promise<Recording> {
  for (;;) {
    const { recording } = await client.getRecording(id);
    if (SETTLED.has(recording.status)) return recording;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export type RecordOptions = {
  /** `external_storage` at start; default none (the call type's, else managed). */
  readonly storage?: string;
  readonly callType?: string;
  readonly packets?: number;
  /** Return right after stop instead of waiting for the recording to settle. */
  readonly noWait?: boolean;
  /** Runs while the recording is on, before the stop (e.g. to change its pin). */
  readonly beforeStop?: (recordingId: string) => Promise<void>;
};

/** Records `callId` (150 Opus packets by default), stops, and returns the recording id once settled. */
export async function recordShortCall(
  client: TapedeckClient,
  callId: string,
  options: RecordOptions = {},
): Promise<string> {
  const call = client.call(options.callType ?? 'default', callId);
  await call.getOrCreate();
  const track = await call.addRtpTrack({
    user_id: 'u',
    session_id: 's',
    track_type: 'audio',
    sdp: OPUS_SDP,
  });
  const { recording } = await call.startRecording(
    'raw',
    options.storage === undefined ? {} : { external_storage: options.storage },
  );
  const packets = options.packets ?? 150;
  await sendSyntheticOpus({ host: track.rtp.host, port: track.rtp.port, packets });
  await untilAccepted(call, track.track_id, packets);
  await options.beforeStop?.(recording.id);
  await call.stopRecording('raw');
  if (options.noWait !== true) await settledRecording(client, recording.id);
  return recording.id;
}
