// The map's legend, in the SVG overlay (so a PNG export carries it): the constraints of the
// family by number, the active sets present (colour, members, short names, share of the pixels;
// the full names in a tooltip), and the failure hatches with their fractions.

import type { Selection } from 'd3';
import { CONSTRAINT_NAMES } from '../reference';
import { CONDITIONS, type Family } from '../types';
import { LEGEND_W, type MapFrame } from './geometry';
import { CONDITION_LABELS, setColour, setDescription, setFullNames, setMembers } from './palette';

const TEXT = '#d9e1ea';
const MUTED = '#a9b4c2';
const PANEL_BG = 'rgba(14,17,22,0.9)';

type G = Selection<SVGGElement, unknown, null, undefined>;

export interface LegendData {
  family: Family;
  sets: { bits: number; count: number }[];
  total: number;
  fractions: [number, number, number];
  show: [boolean, boolean, boolean];
}

export function drawLegend(lg: G, f: MapFrame | null, d: LegendData): void {
  lg.selectAll('*').remove();
  if (!f) return;
  const x0 = f.legendOutside ? f.right + 12 : f.right - LEGEND_W + 4;
  const y0 = f.legendOutside ? f.top : f.top + 4;
  const inner = lg.append('g').attr('transform', `translate(${x0},${y0})`);
  const bg = inner.append('rect').attr('fill', PANEL_BG).attr('stroke', '#2a323d').attr('rx', 6).attr('width', LEGEND_W - 16);
  let y = 16;
  const line = (text: string, opts: { x?: number; colour?: string; weight?: number; cls?: string } = {}) => {
    const t = inner.append('text').attr('x', opts.x ?? 8).attr('y', y).attr('fill', opts.colour ?? TEXT).text(text);
    if (opts.weight) t.attr('font-weight', opts.weight);
    if (opts.cls) t.attr('class', opts.cls);
    y += 14;
    return t;
  };
  const names = CONSTRAINT_NAMES[d.family];
  line('Constraints', { weight: 600 });
  if (names.length === 0) line('none (unconstrained lower level)', { colour: MUTED });
  names.forEach((name, i) => line(`${i + 1}  ${name}`, { colour: MUTED, cls: 'constraint' }));
  y += 4;
  line('Active set I(x)', { weight: 600 });
  if (d.sets.length === 0) line('computing…', { colour: MUTED });
  for (const s of d.sets) {
    const members = setMembers(s.bits);
    const entry = inner.append('g').attr('class', 'legend-set').attr('data-bitmask', s.bits);
    entry.append('rect').attr('x', 8).attr('y', y - 10).attr('width', 12).attr('height', 12).attr('fill', setColour(s.bits)).attr('stroke', '#000').attr('stroke-width', 0.5);
    const share = d.total ? ` ${((100 * s.count) / d.total).toFixed(s.count / d.total < 0.1 ? 1 : 0)} %` : '';
    entry
      .append('text')
      .attr('x', 26)
      .attr('y', y)
      .attr('fill', TEXT)
      .text(`{${members.join(', ')}} ${setDescription(d.family, s.bits)}`)
      .append('tspan')
      .attr('fill', MUTED)
      .text(share);
    entry.append('title').text(s.bits === 0 ? '{} interior: no constraint active' : setFullNames(d.family, s.bits));
    y += 15;
  }
  y += 4;
  line('Failure sets (margin < κh)', { weight: 600 });
  CONDITIONS.forEach((c, k) => {
    const g = inner.append('g').attr('class', 'legend-fail').attr('data-condition', c).attr('opacity', d.show[k] ? 1 : 0.45);
    g.append('rect').attr('x', 8).attr('y', y - 10).attr('width', 12).attr('height', 12).attr('fill', '#6d7580');
    g.append('rect').attr('x', 8).attr('y', y - 10).attr('width', 12).attr('height', 12).attr('fill', `url(#bilevel-hatch-${c})`).attr('stroke', '#000').attr('stroke-width', 0.5);
    g.append('text').attr('x', 26).attr('y', y).attr('fill', TEXT).text(`${CONDITION_LABELS[c]} ${(100 * d.fractions[k]).toFixed(2)} %${d.show[k] ? '' : ' (hidden)'}`);
    y += 15;
  });
  bg.attr('height', y - 4);
}
