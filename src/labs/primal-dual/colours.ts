// Colours of the compared alphas (primary first), shared by the phase-plane picture and the charts.

export const ALPHA_COLOURS = ['#1f5fa8', '#d9534f', '#2e8b57', '#9b59b6', '#e67e22', '#16a0a0'];

export function alphaColour(i: number): string {
  return ALPHA_COLOURS[i % ALPHA_COLOURS.length];
}
