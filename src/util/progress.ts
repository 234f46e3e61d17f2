import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  /** Advance by `delta` units. */
  increment(delta?: number): void;
  /** Set the absolute position. */
  update(value: number): void;
  /** Change the total when it becomes known. */
  setTotal(total: number): void;
  stop(): void;
}

export interface ProgressOptions {
  /** What is being counted, e.g. "images" or "files". */
  unit: string;
  /** Write nothing (tests, or --quiet). */
  quiet?: boolean;
  stream?: NodeJS.WriteStream;
}

/**
 * A progress bar with rate and ETA on a terminal; on a non-TTY (CI logs) a plain line every ~10%
 * so logs stay readable.
 */
export function startProgress(label: string, total: number, options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) {
    return { increment() {}, update() {}, setTotal() {}, stop() {} };
  }
  const started = Date.now();
  if (!stream.isTTY) {
    let value = 0;
    let lastDecile = -1;
    let currentTotal = total;
    const report = (force = false) => {
      const decile = currentTotal > 0 ? Math.floor((value / currentTotal) * 10) : 0;
      if (!force && decile === lastDecile) return;
      lastDecile = decile;
      const seconds = (Date.now() - started) / 1000;
      const rate = seconds > 0 ? value / seconds : 0;
      stream.write(`${label}: ${value}/${currentTotal} ${options.unit} (${rate.toFixed(0)} ${options.unit}/s)\n`);
    };
    return {
      increment(delta = 1) {
        value += delta;
        report();
      },
      update(v) {
        value = v;
        report();
      },
      setTotal(t) {
        currentTotal = t;
      },
      stop() {
        report(lastDecile !== 10);
      },
    };
  }
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${options.unit} | {rate} ${options.unit}/s | ETA {eta_formatted}`,
      stream,
      hideCursor: true,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0, { rate: '0' });
  const rate = (value: number) => ({ rate: (value / Math.max((Date.now() - started) / 1000, 1e-3)).toFixed(0) });
  return {
    increment(delta = 1) {
      bar.increment(delta, rate(bar.getProgress() * bar.getTotal() + delta));
    },
    update(value) {
      bar.update(value, rate(value));
    },
    setTotal(t) {
      bar.setTotal(t);
    },
    stop() {
      bar.stop();
    },
  };
}
