// Colours and names of the compared batches on the score-mixing page (compare mode,
// src/labs/compare.ts: batch 0 is the config's own lambda). One categorical colour per batch from
// the shared palette (Okabe-Ito, src/labs/shared/view/palette.ts), the same batch the same colour in
// the picture, the stars and the charts — except batch 0, which keeps the lab's usual colours: the
// cream particles and yellow stars on the dark picture, blue on the white charts. Eight batches at
// most (MAX_COMPARE_VALUES + 1): Okabe-Ito's seven colours without black, then black on the charts
// and blue (batch 0's chart colour, unused in the picture) in the picture for the eighth.

import { OKABE_ITO, SERIES } from '../../shared/view/palette';

/** The particles' usual colour (particle-scene.ts and canvas-picture.ts draw batch 0 in it). */
const PARTICLE_CREAM = '#FFEDBF';

/** Colour of batch b on the white charts (b = 0: the charts' usual blue). */
export function chartColour(b: number): string {
  return b < SERIES.length ? SERIES[b] : OKABE_ITO.black;
}

/** Colour of batch b's particles on the dark picture (b = 0: the usual cream). */
export function pictureColour(b: number): string {
  if (b === 0) return PARTICLE_CREAM;
  return b < SERIES.length ? SERIES[b] : OKABE_ITO.blue;
}

/** Colour of batch b's critical-point stars on the picture (b = 0: the usual yellow). */
export function starColour(b: number): string {
  return b === 0 ? OKABE_ITO.yellow : pictureColour(b);
}

/** Legend name of the batch with `lambda` ("λ = 0.5 (config)" for batch 0 of a compared run). */
export function batchLabel(lambda: number, b: number, batches: number): string {
  return batches > 1 && b === 0 ? `λ = ${lambda} (config)` : `λ = ${lambda}`;
}
