/**
 * Recording settings of call types and calls. Stored as JSON (`settings`,
 * `settings_override`); the effective value for a call is its override's field, else its
 * call type's, else the default.
 *
 * ```json
 * { "raw_recording": { "mode": "available", "audio_only": false } }
 * ```
 */
import type { JsonObject } from '../db/index.js';

export const RAW_RECORDING_MODES = ['disabled', 'available', 'auto-on'] as const;
export type RawRecordingMode = (typeof RAW_RECORDING_MODES)[number];

/** The effective raw-recording settings of a call. */
export type RawRecordingSettings = {
  /** Default `available`. */
  readonly mode: RawRecordingMode;
  /** Default false. */
  readonly audioOnly: boolean;
};

export const DEFAULT_RAW_RECORDING: RawRecordingSettings = { mode: 'available', audioOnly: false };

function rawSection(settings: JsonObject | undefined): JsonObject {
  const raw = settings?.['raw_recording'];
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as JsonObject) : {};
}

function modeOf(value: unknown): RawRecordingMode | undefined {
  return (RAW_RECORDING_MODES as readonly unknown[]).includes(value)
    ? (value as RawRecordingMode)
    : undefined;
}

/** The call's raw-recording settings: override ▶ call type ▶ default, field by field. */
export function effectiveRawRecording(
  callTypeSettings: JsonObject,
  callOverride: JsonObject,
): RawRecordingSettings {
  const type = rawSection(callTypeSettings);
  const call = rawSection(callOverride);
  const audioOnly = call['audio_only'] ?? type['audio_only'];
  return {
    mode: modeOf(call['mode']) ?? modeOf(type['mode']) ?? DEFAULT_RAW_RECORDING.mode,
    audioOnly: typeof audioOnly === 'boolean' ? audioOnly : DEFAULT_RAW_RECORDING.audioOnly,
  };
}
