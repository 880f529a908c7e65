// GPU pass timings from timestamp queries, for the HUD (RunStatus.passMs). Knows nothing about labs.
//
// Two-phase, like ReadbackPool: the readback of the stamps is encoded into the caller's command
// encoder, and its mapping may only start after that encoder was submitted. Per command encoder:
//   profiler.beginFrame();
//   const pass = encoder.beginComputePass({ label, timestampWrites: profiler.timestampWrites('drift') });
//   ...
//   profiler.timeSpan(encoder, 'field', () => field.encode(encoder, plane)); // passes made by others
//   profiler.resolve(encoder);          // before encoder.finish()
//   device.queue.submit([encoder.finish()]);
//   profiler.submitted();               // right after the submit: starts the readback's mapping
//   status.passMs = profiler.passMs();  // latest completed frames, smoothed; {} until the first one
// Forgetting submitted() leaves the readback pending forever: passMs() stays {} and, once both
// staging buffers wait, every later frame's timings are dropped.
//
// Without the 'timestamp-query' feature every method is a no-op and passMs() returns undefined.
// Readback goes through a ReadbackPool: it never blocks the frame; when all staging buffers are in
// flight the frame's timings are dropped. A name used several times in one frame (several steps
// per frame) reports the sum of its passes; a name keeps its last value until it is timed again.
// Implementations may quantise the stamps (Chromium rounds to 100 us unless unsafe APIs are
// allowed), so short passes can read 0.

import { ReadbackPool } from './readback';

export interface ProfilerOptions {
  /** Most timed passes per frame; later passes in the frame are not timed. */
  maxPasses?: number;
  /** Exponential smoothing of the reported ms in (0, 1]; 1 = no smoothing. */
  smoothing?: number;
}

export class GpuProfiler {
  readonly enabled: boolean;
  private readonly querySet: GPUQuerySet | null = null;
  private readonly resolveBuffer: GPUBuffer | null = null;
  private readonly pool: ReadbackPool | null = null;
  private readonly capacity: number;
  private readonly smoothing: number;
  private names: string[] = [];
  private smoothed = new Map<string, number>();
  private dropped = 0;
  private disposed = false;

  constructor(
    readonly device: GPUDevice,
    readonly label: string,
    options: ProfilerOptions = {},
  ) {
    this.capacity = Math.max(1, Math.min(options.maxPasses ?? 32, 2048));
    this.smoothing = options.smoothing ?? 0.2;
    this.enabled = device.features.has('timestamp-query');
    if (!this.enabled) return;
    this.querySet = device.createQuerySet({ label: `${label}.timestamps`, type: 'timestamp', count: 2 * this.capacity });
    this.resolveBuffer = device.createBuffer({
      label: `${label}.timestampResolve`,
      size: 16 * this.capacity,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    this.pool = new ReadbackPool(device, `${label}.readback`, 2);
  }

  /** Start the timed passes of one command encoder (a frame). */
  beginFrame(): void {
    this.names = [];
  }

  /** timestampWrites for one compute (or render) pass named `name`; undefined when not timed. */
  timestampWrites(name: string): GPUComputePassTimestampWrites | undefined {
    if (!this.querySet || this.disposed || this.names.length >= this.capacity) return undefined;
    const i = this.names.length;
    this.names.push(name);
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /**
   * Time passes that someone else encodes (code that takes no timestampWrites): an empty compute
   * pass stamps the start, `body` encodes its passes into `encoder`, a second empty pass stamps the
   * end. The span includes the two empty passes (negligible next to a real dispatch).
   */
  timeSpan<T>(encoder: GPUCommandEncoder, name: string, body: () => T): T {
    const w = this.timestampWrites(name);
    if (!w) return body();
    const { querySet, beginningOfPassWriteIndex, endOfPassWriteIndex } = w;
    encoder.beginComputePass({ label: `${this.label}.${name}.begin`, timestampWrites: { querySet, beginningOfPassWriteIndex } }).end();
    const result = body();
    encoder.beginComputePass({ label: `${this.label}.${name}.end`, timestampWrites: { querySet, endOfPassWriteIndex } }).end();
    return result;
  }

  /**
   * Encode the resolve + readback of this frame's timestamps (call before encoder.finish()), then
   * call submitted() right after submitting the encoder.
   */
  resolve(encoder: GPUCommandEncoder): void {
    if (!this.querySet || !this.resolveBuffer || !this.pool || this.disposed || this.names.length === 0) return;
    const count = 2 * this.names.length;
    const names = this.names;
    this.names = [];
    encoder.resolveQuerySet(this.querySet, 0, count, this.resolveBuffer, 0);
    const p = this.pool.request(encoder, this.resolveBuffer, 0, count * 8);
    if (!p) {
      this.dropped++;
      return;
    }
    p.then(
      (bytes) => this.record(names, new BigUint64Array(bytes)),
      () => undefined, // device lost or disposed: timings simply stop
    );
  }

  /** Call right after queue.submit() of the encoder given to resolve(): starts the readback. */
  submitted(): void {
    this.pool?.submitted();
  }

  private record(names: string[], stamps: BigUint64Array): void {
    if (this.disposed) return;
    const frame = new Map<string, number>();
    names.forEach((name, i) => {
      const begin = stamps[2 * i];
      const end = stamps[2 * i + 1];
      // Some implementations report 0 or non-monotonic stamps for passes they could not time.
      const ms = end > begin ? Number(end - begin) / 1e6 : 0;
      frame.set(name, (frame.get(name) ?? 0) + ms);
    });
    for (const [name, ms] of frame) {
      const prev = this.smoothed.get(name);
      this.smoothed.set(name, prev === undefined ? ms : prev + this.smoothing * (ms - prev));
    }
  }

  /** Smoothed ms per named pass; undefined without timestamp queries. */
  passMs(): Record<string, number> | undefined {
    if (!this.enabled) return undefined;
    return Object.fromEntries(this.smoothed);
  }

  /** Frames whose timings were dropped because readbacks were still in flight. */
  get droppedFrames(): number {
    return this.dropped;
  }

  dispose(): void {
    this.disposed = true;
    this.querySet?.destroy();
    this.resolveBuffer?.destroy();
    this.pool?.dispose();
  }
}
