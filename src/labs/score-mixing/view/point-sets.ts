// Point-set changes the page makes as config rewrites: an atom edit from the overlay (add, move,
// delete) and a point file imported into mu1 or mu2 (JSON or CSV, ../point-sets.ts) give the next
// config, which the page validates and applies like any other (a bad one keeps the run); and a
// measure's point set saved as mu1.json, mu2.csv, ...

import { parsePointSetFile, pointSetToCsv, pointSetToJson } from '../point-sets';
import { saveBlob } from '../../shared/view/download';
import type { ScoreMixingConfig } from '../types';
import type { AtomEdit, MeasureId } from './overlay';

/** `config` with the edited measure's atoms (and weights, when the edit has them). */
export function withAtomEdit(config: ScoreMixingConfig, e: AtomEdit): unknown {
  const set = e.weights ? { points: e.points, weights: e.weights } : { points: e.points };
  return { ...config, [e.measure]: set };
}

/**
 * `config` with the point set of file `name` in measure `m`; `d` is the current dimension.
 * Throws (FieldError) when the file cannot be read as a point set.
 */
export function withImportedSet(config: ScoreMixingConfig, d: number, m: MeasureId, name: string, text: string): unknown {
  const other = m === 'mu1' ? 'mu2' : 'mu1';
  // A new dimension is allowed for mu1 only when mu2 matches it; checked by parseConfig.
  const set = parsePointSetFile(name, text, m === 'mu2' ? { d, dSource: `the dimension of ${other}` } : {});
  return { ...config, [m]: set };
}

export function savePointSet(config: ScoreMixingConfig, m: MeasureId, format: 'json' | 'csv'): void {
  const set = config[m];
  const text = format === 'json' ? pointSetToJson(set) : pointSetToCsv(set);
  saveBlob(`${m}.${format}`, new Blob([text], { type: format === 'json' ? 'application/json' : 'text/csv' }));
}
