// Progress on stderr: a redrawn bar when stderr is a terminal, otherwise one line per 10% so logs
// and CI output stay readable. stdout is never touched (it may be piped).

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export class ProgressReporter {
  private readonly start = performance.now();
  private lastDraw = 0;
  private lastDecile = -1;
  private finished = false;

  constructor(
    private readonly label: string,
    private readonly stream: ProgressStream = process.stderr,
    private readonly enabled = true,
  ) {}

  /** fraction in [0, 1]; cheap to call often (redraws at most every 100 ms). */
  update(fraction: number): void {
    if (!this.enabled || this.finished) return;
    const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
    const now = performance.now();
    if (this.stream.isTTY) {
      if (now - this.lastDraw < 100 && f < 1) return;
      this.lastDraw = now;
      this.stream.write(`\r${this.bar(f, now)}`);
    } else {
      const decile = Math.floor(f * 10);
      if (decile === this.lastDecile) return;
      this.lastDecile = decile;
      this.stream.write(`${this.label}: ${decile * 10}% (${((now - this.start) / 1000).toFixed(1)} s)\n`);
    }
  }

  /** Completes the bar (TTY: ends the line). */
  done(): void {
    if (!this.enabled || this.finished) return;
    this.update(1);
    this.finished = true;
    if (this.stream.isTTY) this.stream.write('\n');
  }

  private bar(f: number, now: number): string {
    const elapsed = (now - this.start) / 1000;
    const eta = f > 0.01 && f < 1 ? ` ETA ${((elapsed * (1 - f)) / f).toFixed(1)} s` : '';
    const tail = ` ${(100 * f).toFixed(0).padStart(3)}% ${elapsed.toFixed(1)} s${eta}`;
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - this.label.length - tail.length - 4));
    const filled = Math.round(f * width);
    return `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${tail}\x1b[K`;
  }
}
