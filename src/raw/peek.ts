/** Reads the first item of an async stream and returns it with a stream that replays it. */
export async function peek<T>(
  source: AsyncIterable<T>,
): Promise<{ readonly first: T | undefined; readonly stream: AsyncGenerator<T> }> {
  const iterator = source[Symbol.asyncIterator]();
  const head = await iterator.next();
  async function* replay(): AsyncGenerator<T> {
    if (head.done) return;
    yield head.value;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { first: head.done ? undefined : head.value, stream: replay() };
}
