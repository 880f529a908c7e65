// The page's GPU: acquired once, watched for loss, re-acquired after a loss. A lost device is
// reported, a new one is requested, and the listener (the shell) hands it to the page via
// page.deviceRestored(gpu). If no new device can be had, the listener gets null (CPU fallback).

import { acquireBrowserGpu, WebGpuUnavailableError, type GpuContext } from '../gpu/device';
import type { Backend } from '../labs/lab';

export interface LossReport {
  message: string;
  /** The replacement, or null when none could be acquired (the page falls back to the CPU). */
  gpu: GpuContext | null;
  reason: string | null;
}

export class GpuSession {
  gpu: GpuContext | null = null;
  /** Why WebGPU is unavailable (null when a device was acquired). */
  unavailableReason: string | null = null;
  private simulated = false;
  private disposed = false;
  private listener: ((report: LossReport) => void) | null = null;

  get backend(): Backend {
    return !this.gpu ? 'cpu-float64' : this.gpu.isSoftware ? 'webgpu-swiftshader' : 'webgpu';
  }

  get adapter(): string {
    return this.gpu?.adapterDescription ?? (typeof navigator !== 'undefined' ? `${navigator.hardwareConcurrency ?? '?'} CPU threads, no GPU` : '');
  }

  async acquire(): Promise<GpuContext | null> {
    try {
      this.gpu = await acquireBrowserGpu({ label: 'Flowlab.device' });
      this.unavailableReason = null;
      this.watch(this.gpu);
    } catch (e) {
      this.gpu = null;
      this.unavailableReason =
        e instanceof WebGpuUnavailableError ? e.message : `Requesting a WebGPU device failed: ${(e as Error)?.message ?? String(e)}`;
    }
    return this.gpu;
  }

  /** Give up on the GPU (the page could not run on it): the lab continues on the CPU. */
  disableGpu(reason: string): void {
    const gpu = this.gpu;
    this.gpu = null;
    this.unavailableReason = reason;
    gpu?.device.destroy();
  }

  onLost(listener: (report: LossReport) => void): void {
    this.listener = listener;
  }

  /** Tests: destroy the device as if the driver had reset. */
  simulateLoss(): void {
    if (!this.gpu) return;
    this.simulated = true;
    this.gpu.device.destroy();
  }

  private watch(ctx: GpuContext): void {
    void ctx.device.lost.then(async (info) => {
      if (this.disposed || ctx !== this.gpu) return;
      if (info.reason === 'destroyed' && !this.simulated) return;
      this.simulated = false;
      const message = info.message || 'no details from the driver';
      const replacement = await this.acquire();
      this.listener?.({ message, gpu: replacement, reason: info.reason ?? null });
    });
  }

  dispose(): void {
    this.disposed = true;
  }
}
