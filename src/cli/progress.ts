/** One progress bar per output on a terminal; silent when stderr is not a TTY. */
import cliProgress from 'cli-progress';

export class ProgressDisplay {
  readonly #bars = new Map<string, cliProgress.SingleBar>();
  readonly #multi: cliProgress.MultiBar | undefined;

  constructor(stream: { write(s: string): unknown; readonly isTTY?: boolean }, enabled: boolean) {
    this.#multi =
      enabled && stream.isTTY === true
        ? new cliProgress.MultiBar(
            {
              stream: stream as NodeJS.WritableStream,
              format: '{bar} {percentage}% | {name}',
              hideCursor: true,
              clearOnComplete: false,
            },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
  }

  update(name: string, done: number, total: number): void {
    if (!this.#multi) return;
    let bar = this.#bars.get(name);
    if (!bar) {
      bar = this.#multi.create(Math.max(1, total), 0, { name });
      this.#bars.set(name, bar);
    }
    bar.setTotal(Math.max(1, total));
    bar.update(done, { name });
  }

  stop(): void {
    this.#multi?.stop();
  }
}
