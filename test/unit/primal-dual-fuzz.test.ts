// Property tests (fast-check) of every input path of the primal-dual lab: config parser, URL
// state, --set (shared, test/support/lab-fuzz.ts) and the problem import ({A, b, objective} JSON).
// 10,000 cases per path, fixed seed; FLOWLAB_FUZZ_RUNS raises the count (test/support/fuzz.ts).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { primalDualLab } from '../../src/labs/primal-dual';
import { importProblemJson } from '../../src/labs/primal-dual/config';
import type { PrimalDualConfig } from '../../src/labs/primal-dual/types';
import { FUZZ_TIMEOUT_MS, Tally, expectCleanPrototypes, fieldErrorOr, fuzzParams, mutatedConfig, trapJsonText } from '../support/fuzz';
import { basesOf, labInputProperties } from '../support/lab-fuzz';

describe('primal-dual input properties', () => {
  labInputProperties(primalDualLab);

  it('primal-dual: problem files (importProblemJson) throw only FieldErrors; accepted problems are valid configs', () => {
    const bases = basesOf(primalDualLab) as PrimalDualConfig[];
    const names = ['A', 'b', 'objective', 'kind', 'Q', 'c', 'w'];
    // Problem texts: mutations of the bases' {A, b, objective} and of bare matrices, or hostile JSON text.
    const problems = bases.flatMap((c) => [{ A: c.A, b: c.b, objective: c.objective }, c.A, { A: c.A }]);
    const text = fc.oneof(mutatedConfig(problems, names).map((v) => JSON.stringify(v) ?? 'null'), trapJsonText(names));
    const tally = new Tally();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bases.length - 1 }), text, (b, t) => {
        const next = fieldErrorOr(() => importProblemJson(t, bases[b], 'problem.json'));
        expectCleanPrototypes();
        tally.add(next !== undefined);
        if (next !== undefined) expect(primalDualLab.parseConfig(structuredClone(next))).toEqual(next);
      }),
      fuzzParams(),
    );
    tally.expectBoth(0.01);
  }, FUZZ_TIMEOUT_MS);
});
