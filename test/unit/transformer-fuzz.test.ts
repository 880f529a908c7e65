// Property tests (fast-check) of every input path of the transformer lab: config parser, URL
// state, --set (shared, test/support/lab-fuzz.ts) and the token import (a B x n x d JSON batch).
// 10,000 cases per path, fixed seed; FLOWLAB_FUZZ_RUNS raises the count (test/support/fuzz.ts).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { transformerLab } from '../../src/labs/transformer';
import { parseConfig } from '../../src/labs/transformer/config';
import type { TransformerConfig } from '../../src/labs/transformer/types';
import { withImportedTokens } from '../../src/labs/transformer/view/edit';
import { FUZZ_TIMEOUT_MS, Tally, expectCleanPrototypes, fieldErrorOr, fuzzParams, mutatedConfig, trapJsonText } from '../support/fuzz';
import { basesOf, labInputProperties } from '../support/lab-fuzz';

describe('transformer input properties', () => {
  labInputProperties(transformerLab);

  it('transformer: token files (withImportedTokens) throw only FieldErrors; accepted batches are valid configs', () => {
    const bases = basesOf(transformerLab) as TransformerConfig[];
    const names = ['sequences', 'queries', 'd'];
    const batch = [[[0.1, 0.2], [0.3, -0.4], [1, 0]], [[0, 1], [0.5, 0.5], [-1, 0]]];
    const files = [batch, { sequences: batch }, { d: 2, sequences: batch, queries: [[0, 1], [1, 0]] }, [[[0.5, 0.25, 1]]]];
    const text = fc.oneof(mutatedConfig(files, names).map((v) => JSON.stringify(v) ?? 'null'), trapJsonText(names));
    const tally = new Tally();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bases.length - 1 }), text, (b, t) => {
        const next = fieldErrorOr(() => withImportedTokens(bases[b], t));
        expectCleanPrototypes();
        tally.add(next !== undefined);
        if (next !== undefined) expect(parseConfig(structuredClone(next))).toEqual(next);
      }),
      fuzzParams(),
    );
    tally.expectBoth(0.01);
  }, FUZZ_TIMEOUT_MS);
});
