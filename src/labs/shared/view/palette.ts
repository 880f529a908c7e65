// The colours of every page, in one place. Categorical colours are Okabe & Ito's palette
// ("Color Universal Design", 2008), distinguishable under the common colour-vision deficiencies;
// maps with more than eight categories use d3's Tableau10; continuous quantities use d3's viridis
// (perceptually uniform, colour-blind safe, readable in greyscale). Labs name roles here instead of
// writing hex codes.

import { interpolateViridis, schemeTableau10 } from 'd3';

/** Okabe-Ito, in their order (black last: it is the text colour on light backgrounds). */
export const OKABE_ITO = {
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  bluishGreen: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  reddishPurple: '#CC79A7',
  black: '#000000',
} as const;

/** Categorical series colours (compared runs, chart series), cycling through Okabe-Ito without black. */
export const SERIES = [OKABE_ITO.blue, OKABE_ITO.vermillion, OKABE_ITO.bluishGreen, OKABE_ITO.reddishPurple, OKABE_ITO.orange, OKABE_ITO.skyBlue, OKABE_ITO.yellow] as const;

export function seriesColour(i: number): string {
  return SERIES[((i % SERIES.length) + SERIES.length) % SERIES.length];
}

/** Ten qualitative colours for maps with up to ten categories (active-set regions). */
export const QUALITATIVE_10: readonly string[] = schemeTableau10;

/** The sequential map for continuous values in [0, 1]. */
export const sequential = (t: number): string => interpolateViridis(Math.min(1, Math.max(0, t)));
