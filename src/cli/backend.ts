// The CLI's side of the backend choice: --backend or FLOWLAB_BACKEND (the flag wins), checked
// with a usage message. The selection itself is the library's (src/api/backend.ts), so
// `flowlab run` and runLab pick the same backend for the same request.

import { BACKEND_REQUESTS, type BackendRequest } from '../api/public';
import { UsageError } from './args';

export { BACKEND_REQUESTS, BackendUnavailableError, type BackendRequest } from '../api/public';
export { selectBackend, type BackendChoice } from '../api/backend';

export function backendRequest(flag: string | undefined, env: string | undefined): BackendRequest {
  const [value, source] = flag !== undefined ? [flag, '--backend'] : [env, 'FLOWLAB_BACKEND'];
  if (value === undefined || value.trim() === '') return 'auto';
  const v = value.trim().toLowerCase();
  if (!(BACKEND_REQUESTS as readonly string[]).includes(v)) {
    throw new UsageError(`${source}: got ${JSON.stringify(value)}; allowed: one of ${BACKEND_REQUESTS.join(', ')}`);
  }
  return v as BackendRequest;
}
