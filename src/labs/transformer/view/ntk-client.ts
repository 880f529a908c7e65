// The page's side of the NTK worker: posts jobs to ntk-worker.ts and resolves each with its answer.
// At most one job of each kind runs at a time (busy(kind)); callers skip rather than queue, so the
// lambda_min series thins out on a slow machine instead of lagging. Without Worker support (or when
// the worker fails to load) jobs run on the main thread after a timeout, which blocks the page for
// their duration but still answers.

import { runNtkJob, type NtkRequest, type NtkResponse } from './ntk-jobs';

type Kind = NtkRequest['kind'];
type Job = NtkRequest extends infer R ? (R extends NtkRequest ? Omit<R, 'id'> : never) : never;

export class NtkClient {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { kind: Kind; resolve: (r: NtkResponse) => void }>();
  private disposed = false;

  constructor() {
    try {
      this.worker = new Worker(new URL('./ntk-worker.ts', import.meta.url), { type: 'module', name: 'flowlab-transformer-ntk' });
      this.worker.onmessage = (e: MessageEvent<NtkResponse>) => this.answer(e.data);
      this.worker.onerror = (e) => {
        // A worker that cannot load: answer what was sent, then run jobs inline from now on.
        e.preventDefault();
        this.worker?.terminate();
        this.worker = null;
        for (const [id] of this.waiting) this.answer({ id, kind: 'error', error: `NTK worker failed: ${e.message || 'load error'}` });
      };
    } catch {
      this.worker = null;
    }
  }

  get inWorker(): boolean {
    return this.worker !== null;
  }

  busy(kind: Kind): boolean {
    for (const w of this.waiting.values()) if (w.kind === kind) return true;
    return false;
  }

  run(job: Job): Promise<NtkResponse> {
    const id = this.nextId++;
    const req = { ...job, id } as NtkRequest;
    return new Promise((resolve) => {
      if (this.disposed) {
        resolve({ id, kind: 'error', error: 'the page was closed' });
        return;
      }
      this.waiting.set(id, { kind: job.kind, resolve });
      if (this.worker) this.worker.postMessage(req);
      else setTimeout(() => this.answer(runNtkJob(req)), 0);
    });
  }

  private answer(r: NtkResponse): void {
    const w = this.waiting.get(r.id);
    if (!w) return;
    this.waiting.delete(r.id);
    w.resolve(r);
  }

  dispose(): void {
    this.disposed = true;
    this.worker?.terminate();
    this.worker = null;
    for (const [id] of [...this.waiting]) this.answer({ id, kind: 'error', error: 'the page was closed' });
  }
}
