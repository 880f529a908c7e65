// The map on the GPU: a BilevelSimulation whose frame() encodes the next band of rows (x1 indices)
// into one command encoder and submits it. The codes of the rows computed since the last request
// come back through a one-slot ReadbackPool copy encoded in the same encoder: never awaited by the
// frame; when one is in flight the request is skipped and a later frame asks again, so the last
// band after the run is done still lands. Codes are delivered to `onRows` in row order.

import type { GpuContext } from '../../../gpu/device';
import { ReadbackPool } from '../../../gpu/readback';
import { BilevelSimulation, solveMapOnGpu } from '../simulation';
import type { BilevelConfig, BilevelMap } from '../types';

/** Rows per submit when catching up at once (bounded GPU work per submission). */
const BAND = 128;

export type RowsListener = (r0: number, r1: number, codes: Uint32Array) => void;

export class GpuMapRun {
  readonly n: number;
  /** Rows computed (submitted). */
  rows = 0;
  /** Rows whose codes were requested back. */
  private requested = 0;
  private needsReset = true;
  private generation = 0;
  private disposed = false;
  private readonly pool: ReadbackPool;

  private constructor(
    readonly gpu: GpuContext,
    readonly sim: BilevelSimulation,
    readonly config: BilevelConfig,
    private readonly onRows: RowsListener,
  ) {
    this.n = config.grid.n;
    this.pool = new ReadbackPool(gpu.device, 'BilevelView.codesReadback', 1);
  }

  static async create(gpu: GpuContext, config: BilevelConfig, onRows: RowsListener): Promise<GpuMapRun> {
    const sim = await BilevelSimulation.create(gpu, config);
    try {
      return new GpuMapRun(gpu, sim, config, onRows);
    } catch (e) {
      sim.dispose();
      throw e;
    }
  }

  get done(): boolean {
    return this.rows >= this.n;
  }

  /** Every requested row's codes have come back. */
  get settled(): boolean {
    return this.requested >= this.rows && this.pool.pending === 0;
  }

  /** Encode and submit up to `steps` more rows (0: only ask for codes still missing). Returns rows done. */
  frame(steps: number): number {
    if (this.disposed) return 0;
    const r0 = this.rows;
    const r1 = Math.min(this.n, r0 + Math.max(0, Math.floor(steps)));
    if (r1 === r0 && this.requested >= this.rows) return 0;
    const encoder = this.gpu.device.createCommandEncoder({ label: 'BilevelView.frameEncoder' });
    if (r1 > r0) {
      if (this.needsReset) {
        this.sim.encodeReset(encoder);
        this.needsReset = false;
      }
      this.sim.encodeRows(encoder, r0, r1);
      this.rows = r1;
    }
    const start = this.requestCodes(encoder);
    this.gpu.device.queue.submit([encoder.finish()]);
    this.pool.submitted();
    start?.();
    return r1 - r0;
  }

  /** Compute rows up to `step` at once (restore, device restored). */
  advanceTo(step: number): void {
    const target = Math.min(step, this.n);
    while (this.rows < target) this.frame(Math.min(BAND, target - this.rows));
  }

  /** Start over from row 0 (the same deterministic map). */
  restart(): void {
    this.generation++;
    this.rows = 0;
    this.requested = 0;
    this.needsReset = true;
  }

  private requestCodes(encoder: GPUCommandEncoder): (() => void) | null {
    const r0 = this.requested;
    const r1 = this.rows;
    if (r1 <= r0) return null;
    const rowBytes = 4 * this.n;
    const pending = this.pool.request(encoder, this.sim.codes, r0 * rowBytes, (r1 - r0) * rowBytes);
    if (!pending) return null;
    this.requested = r1;
    const generation = this.generation;
    return () => {
      pending.then(
        (bytes) => {
          if (!this.disposed && generation === this.generation) this.onRows(r0, r1, new Uint32Array(bytes));
        },
        () => {
          // Lost readback (device lost, disposed): ask for these rows again on a later frame.
          if (!this.disposed && generation === this.generation) this.requested = Math.min(this.requested, r0);
        },
      );
    };
  }

  /**
   * The whole map for an export: the simulation's own buffers once every row is computed, else a
   * fresh full solve (solveMapOnGpu, the CLI's path), so an export always holds the complete map.
   */
  async map(): Promise<BilevelMap> {
    if (this.done) return this.sim.readMap();
    return (await solveMapOnGpu(this.gpu, this.config)).map;
  }

  dispose(): void {
    this.disposed = true;
    this.pool.dispose();
    this.sim.dispose();
  }
}
