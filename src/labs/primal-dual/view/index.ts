// Browser page of the primal-dual lab (loaded lazily by ../index.ts, never by Node code).
//
// The picture: trajectories of a cloud of initial conditions in a chosen coordinate plane (any two
// of x_i, lambda_j), drawn by three.js straight from the simulation's state buffer with trails,
// and the float64 KKT point. Charts (d3, log-log): gap, ||Ax - b|| and |f - f*| with t^-2
// references and the measured float32 noise, their t^2-weighted envelopes, E(t) with the identity
// defect, and Q(t); compare mode (config.compare, set by the shell's Compare control) runs several
// values of alpha, theta, beta or p side by side in one batched GPU run, overlaid in the charts
// with a legend. Controls: plane, the theta window, the A/b editor (JSON import), read-outs. Without
// WebGPU the float64 reference runs at <= 64 trajectories with a Canvas 2D picture.
// The pieces live in the files of this folder; page.ts assembles them.

import type { LabPage, ViewHost } from '../../lab';
import { initPage } from '../../shared/view/init-page';
import type { PrimalDualConfig } from '../types';
import { PrimalDualPage } from './page';

export default async function createPrimalDualPage(host: ViewHost): Promise<LabPage<PrimalDualConfig>> {
  return initPage(new PrimalDualPage(host, host.gpu));
}

export { createPrimalDualPage };
