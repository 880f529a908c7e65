// Web Worker of the transformer page: the float64 NTK jobs of ntk-jobs.ts off the main thread
// (an empirical NTK is P backward passes and an SVD: seconds for the default preset). One job at a
// time, answered in order; the page's client (ntk-client.ts) keeps at most one of each kind queued.

import { runNtkJob, type NtkRequest, type NtkResponse } from './ntk-jobs';

interface WorkerScope {
  onmessage: ((e: MessageEvent<NtkRequest>) => void) | null;
  postMessage(message: NtkResponse): void;
}

const scope = self as unknown as WorkerScope;
scope.onmessage = (e) => scope.postMessage(runNtkJob(e.data));
