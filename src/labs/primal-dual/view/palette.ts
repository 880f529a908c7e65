// Colour roles of the primal-dual page, from the shared palette (src/labs/shared/view/palette.ts):
// the batches of compare mode are categorical series (the config's own first), shared by the
// theta-window gauge and the charts; the KKT point is marked in a colour of its own role on the picture.

import { OKABE_ITO, seriesColour } from '../../shared/view/palette';

/** Colour of batch i (0: the config's own value). */
export function alphaColour(i: number): string {
  return seriesColour(i);
}

/** The KKT point (x*, lambda*) on the picture: marker and its label. */
export const KKT_COLOUR: string = OKABE_ITO.vermillion;
