// Browser page of the bilevel lab (loaded lazily by ../index.ts, never by Node code).
//
// The picture: the active-set map of the lower level over the upper-level box (one colour per
// active-set bitmask) with the failure sets of LICQ, SCSC and SOSC hatched over it (toggles with
// the failure fractions), axes and legend; the rigidity witness (two draggable points, the segment
// and its crossings of failure sets, with a caption); a probe whose read-out is the exact float64
// solution at the hovered x. Charts: failure fraction against grid refinement (N, 2N, 4N, slope
// −1) and the 1-D gap demo. Without WebGPU the float64 reference computes the map (N capped).
// The pieces live in the files of this folder; page.ts assembles them.

import type { LabPage, ViewHost } from '../../lab';
import { initPage } from '../../shared/view/init-page';
import type { BilevelConfig } from '../types';
import { BilevelPage } from './page';

export default async function createBilevelPage(host: ViewHost): Promise<LabPage<BilevelConfig>> {
  return initPage(new BilevelPage(host, host.gpu));
}

export { createBilevelPage };
