// Every lab, registered once. The app shell, the CLI and the tests find labs only through here.

import type { LabDefinition } from './lab';
import { bilevelLab } from './bilevel';
import { primalDualLab } from './primal-dual';
import { scoreMixingLab } from './score-mixing';
import { transformerLab } from './transformer';
import { UnknownLabError } from './unknown-lab';

export const LABS: readonly LabDefinition<any>[] = [scoreMixingLab, primalDualLab, transformerLab, bilevelLab];

export function labIds(): string[] {
  return LABS.map((l) => l.id);
}

export { UnknownLabError };

/** The lab with this id; throws UnknownLabError listing the known labs otherwise. */
export function getLab(id: string): LabDefinition<any> {
  const lab = LABS.find((l) => l.id === id);
  if (!lab) throw new UnknownLabError(id, labIds());
  return lab;
}
