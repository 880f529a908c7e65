// Browser page of the score-mixing lab (loaded lazily by ../index.ts, never by Node code).
//
// Layers, bottom to top: the potential colour map (three.js plane, viridis), trails and particles
// (three.js, drawn straight from GPU buffers), then an SVG overlay with contours (d3-contour),
// overlay-Voronoi cells, score arrows, stable critical points and editable atoms. Charts (d3):
// distance to the limit against t on log-log axes with the fitted slope and a sqrt(t) reference,
// and the stable critical points against lambda (births and deaths). Without WebGPU the float64
// reference runs at <= 2000 particles and a Canvas 2D picture replaces three.js.
// The pieces live in the files of this folder and charts/; page.ts assembles them.

import type { LabPage, ViewHost } from '../../lab';
import { initPage } from '../../shared/view/init-page';
import type { ScoreMixingConfig } from '../types';
import { ScoreMixingPage } from './page';

export default async function createScoreMixingPage(host: ViewHost): Promise<LabPage<ScoreMixingConfig>> {
  return initPage(new ScoreMixingPage(host, host.gpu));
}

export { createScoreMixingPage };
