// GPU -> CPU copies that never block the caller. The frame loop calls request(); the copy is
// encoded into the frame's command encoder, and after submitting that encoder the caller calls
// submitted(), which starts the mapping (WebGPU forbids submitting a copy into a buffer whose
// mapAsync is pending, so mapping must wait for the submit). The promise resolves some frames
// later. A small pool of MAP_READ staging buffers is recycled; when all are in flight the request
// is refused (returns null) rather than queued, so slow readbacks thin out chart updates instead
// of stalling rendering.

export class ReadbackPool {
  private readonly free: GPUBuffer[] = [];
  private readonly all = new Set<GPUBuffer>();
  private inFlight = 0;
  /** Copies encoded but whose encoder has not been reported submitted yet. */
  private encoded: { staging: GPUBuffer; size: number; resolve: (b: ArrayBuffer) => void; reject: (e: unknown) => void }[] = [];

  constructor(
    readonly device: GPUDevice,
    readonly label: string,
    readonly maxInFlight = 3,
  ) {}

  get pending(): number {
    return this.inFlight;
  }

  /**
   * Copy `size` bytes of `source` at `offset` into a staging buffer, using `encoder`. The caller
   * submits the encoder and then calls submitted(); the promise resolves with a copy of the bytes
   * once the GPU has finished. Returns null when maxInFlight copies are already pending.
   */
  request(encoder: GPUCommandEncoder, source: GPUBuffer, offset: number, size: number): Promise<ArrayBuffer> | null {
    if (this.inFlight >= this.maxInFlight) return null;
    const aligned = Math.ceil(size / 4) * 4;
    const staging = this.take(aligned);
    encoder.copyBufferToBuffer(source, offset, staging, 0, aligned);
    this.inFlight++;
    return new Promise<ArrayBuffer>((resolve, reject) => this.encoded.push({ staging, size, resolve, reject }));
  }

  /** Call right after queue.submit() of every encoder passed to request(): starts the mappings. */
  submitted(): void {
    const batch = this.encoded;
    this.encoded = [];
    for (const r of batch) this.finish(r.staging, r.size).then(r.resolve, r.reject);
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
    this.submitted();
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
    for (const r of this.encoded) r.reject(new Error(`${this.label} disposed before its readback was submitted`));
    this.encoded = [];
    for (const b of this.all) b.destroy();
    this.all.clear();
    this.free.length = 0;
  }
}
