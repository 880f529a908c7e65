// Browser page of the transformer lab (loaded lazily by index.ts, never by Node code).
//
// The picture: every token's trajectory X^0 -> X^L through depth (three.js on the lab's GPUDevice,
// coloured by depth; 3-D with orbit for d >= 3 or with depth as an axis), the selected sequence
// bright, its query/CLS token distinct, and an SVG overlay with the input and output tokens, the
// selected token's attention lines, and draggable input tokens in the plane. Charts (d3): risk
// against iteration, lambda_min of the empirical NTK (Web Worker, float64), the cluster count over
// depth, the attention weights of the selected token, and the head particles in a 2-D projection of
// parameter space with their displacement. Controls: sequence, token, attention layer, depth mode,
// head projection, the NTK injectivity check. Training runs on the GPU (trainer.ts); without WebGPU
// the float64 reference trains a reduced model with a Canvas 2D picture.
// The pieces live beside this file (page.ts owns runs and the LabPage contract) and in charts/;
// this file only assembles them.

import type { LabPage, ViewHost } from '../../lab';
import { initPage } from '../../shared/view/init-page';
import type { TransformerConfig } from '../types';
import { TransformerPage } from './page';

export default async function createTransformerPage(host: ViewHost): Promise<LabPage<TransformerConfig>> {
  return initPage(new TransformerPage(host, host.gpu));
}

export { createTransformerPage };
