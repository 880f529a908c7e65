// One convergence study of a validated config (src/labs/convergence.ts): check the request, the
// memory budget (one run of the config, the largest the study makes), pick the backend, run the
// lab's study, release the device. runConvergence (src/index.ts) and `flowlab convergence`
// (src/cli/convergence-command.ts) both go through here.

import { FieldError } from '../io/field-error';
import type { Snapshot } from '../io/snapshot-types';
import { checkMemoryBudget, type MemoryBudget } from '../labs/budget';
import { ADAPTIVE, type ConvergenceRequest, type ConvergenceStudy } from '../labs/convergence';
import type { LabDefinition } from '../labs/lab';
import { selectBackend, type BackendChoice } from './backend';
import type { BackendRequest } from './public';

/** The most integrators, resolutions or tolerances one study takes (each is a whole run). */
export const MAX_STUDY_POINTS = 64;

export interface ConvergenceHooks {
  backend: BackendRequest;
  onBackend?: (choice: BackendChoice) => void;
  onProgress?: (fraction: number) => void;
  budget: MemoryBudget;
}

/** The study of `lab`, or a FieldError naming the lab when it has none. */
export function studyOf<Config>(lab: LabDefinition<Config>): ConvergenceStudy<Config> {
  if (!lab.convergence) throw new FieldError('lab', lab.id, 'a lab with a convergence study (score-mixing, primal-dual)');
  return lab.convergence;
}

function checkList(field: string, values: readonly number[], integer: boolean): void {
  if (values.length === 0) throw new FieldError(field, '(empty)', 'a comma-separated list of at least one value');
  if (values.length > MAX_STUDY_POINTS) throw new FieldError(field, `${values.length} values`, `at most ${MAX_STUDY_POINTS}`);
  values.forEach((v, i) => {
    if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
      throw new FieldError(`${field}[${i}]`, v, integer ? 'an integer >= 1' : 'a finite number > 0');
    }
  });
  if (new Set(values).size !== values.length) throw new FieldError(field, values.join(','), 'distinct values');
}

/** Check a request against the study (names, counts, values): FieldErrors name the flag. */
export function checkConvergenceRequest(study: ConvergenceStudy<unknown>, request: ConvergenceRequest): void {
  const { integrators } = request;
  if (integrators.length === 0) throw new FieldError('--integrators', '(empty)', `a comma-separated list of: ${study.integrators.join(', ')}`);
  integrators.forEach((name, i) => {
    if (!study.integrators.includes(name)) throw new FieldError(`--integrators[${i}]`, name, `one of ${study.integrators.join(', ')}`);
  });
  if (new Set(integrators).size !== integrators.length) throw new FieldError('--integrators', integrators.join(','), 'distinct names');
  checkList(`--${study.axis}`, request.resolutions, study.axis === 'steps');
  if (request.tolerances !== undefined) {
    if (!study.defaultTolerances) throw new FieldError('--tols', request.tolerances.join(','), 'no value: this study has no adaptive integrator');
    if (!integrators.includes(ADAPTIVE)) throw new FieldError('--tols', request.tolerances.join(','), `no value unless --integrators includes ${ADAPTIVE} (tolerances are for the adaptive integrator only)`);
    checkList('--tols', request.tolerances, false);
    request.tolerances.forEach((v, i) => {
      if (v >= 1) throw new FieldError(`--tols[${i}]`, v, 'a tolerance in (0, 1)');
    });
  }
}

export async function runParsedConvergence<Config>(
  lab: LabDefinition<Config>,
  config: Config,
  request: ConvergenceRequest,
  hooks: ConvergenceHooks,
): Promise<Snapshot> {
  const study = studyOf(lab);
  checkConvergenceRequest(study as ConvergenceStudy<unknown>, request);
  // Each run of the study holds no more than one run of the config does (it records nothing but
  // the final state), so the config's own estimate bounds the study's peak.
  checkMemoryBudget(lab, config, hooks.budget, {});
  const choice = await selectBackend(hooks.backend);
  try {
    hooks.onBackend?.(choice);
    const snapshot = await study.run(config, request, { gpu: choice.gpu, backend: choice.backend, onProgress: hooks.onProgress });
    snapshot.meta.backendNote = choice.note;
    return snapshot;
  } finally {
    choice.gpu?.device.destroy();
  }
}
