// GPU -> CPU copies that never block the caller. The frame loop calls request(); the copy is
// encoded into the frame's command encoder and the promise resolves some frames later. A small
// pool of MAP_READ staging buffers is recycled; when all are in flight the request is refused
// (returns null) rather than queued, so slow readbacks thin out chart updates instead of
// stalling rendering.

export class ReadbackPool {
  private readonly free: GPUBuffer[] = [];
  private readonly all = new Set<GPUBuffer>();
  private inFlight = 0;

  constructor(
    readonly device: GPUDevice,
    readonly label: string,
    readonly maxInFlight = 3,
  ) {}

  get pending(): number {
    return this.inFlight;
  }

  /**
   * Copy `size` bytes of `source` at `offset` into a staging buffer, using `encoder` (the caller
   * submits it), and resolve with a copy of the bytes once the GPU has finished. Returns null when
   * maxInFlight copies are already pending.
   */
  request(encoder: GPUCommandEncoder, source: GPUBuffer, offset: number, size: number): Promise<ArrayBuffer> | null {
    if (this.inFlight >= this.maxInFlight) return null;
    const aligned = Math.ceil(size / 4) * 4;
    const staging = this.take(aligned);
    encoder.copyBufferToBuffer(source, offset, staging, 0, aligned);
    this.inFlight++;
    return this.finish(staging, size);
  }

  /** Convenience for tests and the CLI: encode, submit and await one readback. */
  async read(source: GPUBuffer, offset = 0, size = source.size): Promise<ArrayBuffer> {
    const encoder = this.device.createCommandEncoder({ label: `${this.label}.readEncoder` });
    let p = this.request(encoder, source, offset, size);
    while (!p) {
      await this.device.queue.onSubmittedWorkDone();
      p = this.request(encoder, source, offset, size);
    }
    this.device.queue.submit([encoder.finish()]);
    return p;
  }

  private take(size: number): GPUBuffer {
    const i = this.free.findIndex((b) => b.size >= size);
    if (i >= 0) return this.free.splice(i, 1)[0];
    const b = this.device.createBuffer({
      label: `${this.label}.staging`,
      size,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.all.add(b);
    return b;
  }

  private async finish(staging: GPUBuffer, size: number): Promise<ArrayBuffer> {
    try {
      // mapAsync waits for the submission that contains the copy.
      await staging.mapAsync(GPUMapMode.READ, 0, Math.ceil(size / 4) * 4);
      const copy = staging.getMappedRange(0, Math.ceil(size / 4) * 4).slice(0, size);
      staging.unmap();
      this.free.push(staging);
      return copy;
    } catch (e) {
      this.all.delete(staging);
      staging.destroy();
      throw e;
    } finally {
      this.inFlight--;
    }
  }

  dispose(): void {
    for (const b of this.all) b.destroy();
    this.all.clear();
    this.free.length = 0;
  }
}
