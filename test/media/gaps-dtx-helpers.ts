/** Shared inputs and runners for the DtxFiller tests. */
import { DtxFiller, type DtxFillerOptions, type DtxOutput } from '../../src/media/gaps/dtx.js';
import type { EncodedFrame } from '../../src/media/types.js';

/** Stand-ins for speech packets: the TOC is what counts (hybrid fullband 20 ms, mono). */
export const SPEECH_20MS = Uint8Array.of(0x78, 0x11, 0x22, 0x33);
export const SPEECH_20MS_STEREO = Uint8Array.of(0x7c, 0x11, 0x22, 0x33);
/** CELT fullband 20 ms × 3 in a code 3 packet: 60 ms. */
export const SPEECH_60MS_CODE3 = Uint8Array.of(0xfb, 0x03, 1, 2, 3, 4, 5, 6);
/** CELT fullband 2.5 ms. */
export const SPEECH_2_5MS = Uint8Array.of(0xe0, 0x42, 0x42);
export const PACKETS = [SPEECH_2_5MS, SPEECH_20MS, SPEECH_20MS_STEREO, SPEECH_60MS_CODE3] as const;
export const SAMPLES_48K = [120, 960, 960, 2880] as const;

export type In = { ts: number; seq: number; data?: Uint8Array; arrivalMs?: number };

export function frame(ts: number, data: Uint8Array = SPEECH_20MS, arrivalMs = 0): EncodedFrame {
  return { timestampTicks: ts, data, keyframe: true, arrivalMs };
}

export function run(
  inputs: readonly In[],
  options: DtxFillerOptions = {},
): { out: DtxOutput[]; filler: DtxFiller } {
  const filler = new DtxFiller(options);
  const out: DtxOutput[] = [];
  for (const i of inputs)
    out.push(...filler.push({ frame: frame(i.ts, i.data, i.arrivalMs), extSeq: i.seq }));
  out.push(...filler.flush());
  return { out, filler };
}

export const summary = (out: readonly DtxOutput[]): [number, number, boolean][] =>
  out.map((o) => [o.frame.timestampTicks, o.frame.durationTicks, o.synthetic]);
