/**
 * Shared pieces of the RTP, RTCP and rtpdump fuzz tests: byte mutations of valid inputs,
 * the "returns or throws a catalog error" oracle, and the regression folder replay.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TapedeckError } from '../../src/errors.js';

/**
 * Cases per parser and per kind of input: 20,000, or more for a deeper hunt with
 * `TAPEDECK_FUZZ_RUNS=1000000 npx vitest run test/fuzz` (seeds stay fixed).
 */
export const FUZZ_RUNS = Math.max(20_000, Number(process.env['TAPEDECK_FUZZ_RUNS'] ?? 0) || 0);

export type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: TapedeckError };

/** Runs `fn`; a thrown TapedeckError (ParseError included) is an outcome, anything else fails the test. */
export function outcome(fn: () => unknown): Outcome {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    if (error instanceof TapedeckError) return { ok: false, error };
    const hint = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new Error(`parser threw something other than a TapedeckError: ${hint}`, { cause: error });
  }
}

type Edit =
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly count: number }
  | { readonly kind: 'truncate'; readonly at: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      at: fc.nat(),
      byte: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0xc8, 8),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      at: fc.nat(),
      byte: fc.nat({ max: 255 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('flip' as const),
      at: fc.nat(),
      bit: fc.nat({ max: 7 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      at: fc.nat(),
      count: fc.integer({ min: 1, max: 8 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
);

function apply(input: Uint8Array, edits: readonly Edit[]): Uint8Array {
  let bytes: Uint8Array = input.slice();
  for (const e of edits) {
    const n = bytes.byteLength;
    if (n === 0 && e.kind !== 'insert') continue;
    const at = e.at % Math.max(n, 1);
    if (e.kind === 'set') bytes[at] = e.byte;
    else if (e.kind === 'flip') bytes[at] = bytes[at]! ^ (1 << e.bit);
    else if (e.kind === 'truncate') bytes = bytes.slice(0, at);
    else if (e.kind === 'delete')
      bytes = joined(bytes.subarray(0, at), bytes.subarray(at + e.count));
    else bytes = joined(bytes.subarray(0, at), e.bytes, bytes.subarray(at));
  }
  return bytes;
}

function joined(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.byteLength;
  }
  return out;
}

/** A valid input from `seeds` with 1..6 random edits (byte sets, bit flips, inserts, deletes, truncation). */
export function mutated(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 6 }))
    .map(([seed, edits]) => apply(seed, edits));
}

/** The saved crashing inputs of one parser (`test/fuzz/regressions/<parser>/`, README excluded). */
export function regressionInputs(
  parser: 'rtp' | 'rtcp' | 'rtpdump',
): { name: string; bytes: Uint8Array }[] {
  const folder = new URL(`./regressions/${parser}/`, import.meta.url);
  return readdirSync(folder)
    .filter((name) => name !== 'README.md')
    .sort()
    .map((name) => ({
      name,
      bytes: new Uint8Array(readFileSync(fileURLToPath(new URL(name, folder)))),
    }));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
