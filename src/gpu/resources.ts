// Explicit ownership of GPU objects. Every buffer a lab creates goes through a GpuResources owned
// by that lab's simulation; dispose() destroys all of them, so a lab switch or a test leaves
// nothing behind. Labels follow 'Owner.member'.

export class GpuResources {
  private readonly buffers = new Set<GPUBuffer>();
  private disposed = false;

  constructor(
    readonly device: GPUDevice,
    readonly owner: string,
  ) {}

  get liveBufferCount(): number {
    return this.buffers.size;
  }

  get liveBytes(): number {
    let n = 0;
    for (const b of this.buffers) n += b.size;
    return n;
  }

  /** A buffer labelled `${owner}.${member}`; `data` (if given) is uploaded at creation. */
  buffer(member: string, size: number, usage: GPUBufferUsageFlags, data?: ArrayBufferView): GPUBuffer {
    if (this.disposed) throw new Error(`${this.owner} is disposed; cannot create ${member}`);
    const padded = Math.max(16, Math.ceil(size / 16) * 16);
    const buffer = this.device.createBuffer({
      label: `${this.owner}.${member}`,
      size: padded,
      usage,
      mappedAtCreation: data !== undefined,
    });
    if (data !== undefined) {
      new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      buffer.unmap();
    }
    this.buffers.add(buffer);
    return buffer;
  }

  /** Destroy one buffer early (e.g. when a resize replaces it). */
  release(buffer: GPUBuffer): void {
    if (this.buffers.delete(buffer)) buffer.destroy();
  }

  dispose(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers.clear();
    this.disposed = true;
  }
}
