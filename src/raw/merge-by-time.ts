/**
 * Interleaves several time-ordered async streams into one, by `timeMs`, holding one
 * item per input. Ties go to the earlier input (audio before video when listed so), so
 * the order is deterministic.
 */
export async function* mergeByTime<T extends { readonly timeMs: number }>(
  inputs: readonly AsyncIterable<T>[],
): AsyncGenerator<{ readonly input: number; readonly item: T }> {
  const iterators = inputs.map((i) => i[Symbol.asyncIterator]());
  const heads: (T | undefined)[] = await Promise.all(iterators.map(async (it) => (await it.next()).value as T | undefined));
  const done = heads.map((h) => h === undefined);
  try {
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (done[i] || h === undefined) continue;
        const b = best >= 0 ? heads[best] : undefined;
        if (b === undefined || h.timeMs < b.timeMs) best = i;
      }
      if (best < 0) return;
      const item = heads[best] as T;
      yield { input: best, item };
      const next = await (iterators[best] as AsyncIterator<T>).next();
      if (next.done) {
        done[best] = true;
        heads[best] = undefined;
      } else {
        heads[best] = next.value;
      }
    }
  } finally {
    await Promise.all(iterators.map(async (it, i) => (done[i] ? undefined : it.return?.())));
  }
}
