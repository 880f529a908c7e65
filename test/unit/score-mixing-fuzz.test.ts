// Property tests (fast-check) of every input path of the score-mixing lab: config parser, URL
// state, --set (shared, test/support/lab-fuzz.ts) and the point-set import (JSON and CSV files).
// 10,000 cases per path, fixed seed; FLOWLAB_FUZZ_RUNS raises the count (test/support/fuzz.ts).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scoreMixingLab } from '../../src/labs/score-mixing';
import { parsePointSetFile, pointSetToCsv, pointSetToJson } from '../../src/labs/score-mixing/point-sets';
import { FUZZ_TIMEOUT_MS, Tally, expectCleanPrototypes, fieldErrorOr, fuzzParams, trapJsonText, trapNumber, trapText } from '../support/fuzz';
import { labInputProperties } from '../support/lab-fuzz';

describe('score-mixing input properties', () => {
  labInputProperties(scoreMixingLab);

  const cell = fc.oneof(trapText, trapNumber.map(String), fc.double({ min: -1e6, max: 1e6, noNaN: true }).map(String));
  const csvText = fc
    .tuple(
      fc.constantFrom('', 'x,y\n', 'x0,x1,w\n', 'x,y,weight\n', '# comment\n', '\ufeffx,y\n'),
      fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }).map((r) => r.join(',')), { maxLength: 6 }),
      fc.constantFrom('\n', '\r\n'),
    )
    .map(([h, rows, eol]) => h + rows.join(eol));

  it('score-mixing: point-set files (JSON, CSV) throw only FieldErrors; accepted sets re-export and re-import unchanged', () => {
    const tally = new Tally();
    fc.assert(
      fc.property(fc.oneof(trapJsonText(['points', 'weights']).map((t) => ['set.json', t] as const), csvText.map((t) => ['set.csv', t] as const)), ([name, text]) => {
        const set = fieldErrorOr(() => parsePointSetFile(name, text));
        expectCleanPrototypes();
        tally.add(set !== undefined);
        if (set === undefined) return;
        // JSON has no -0 (JSON.stringify writes 0), so files compare with -0 read as 0.
        const plain = JSON.parse(JSON.stringify(set));
        expect(parsePointSetFile('again.json', pointSetToJson(set))).toEqual(plain);
        expect(JSON.parse(JSON.stringify(parsePointSetFile('again.csv', pointSetToCsv(set))))).toEqual(plain);
      }),
      fuzzParams(),
    );
    tally.expectBoth(0.01);
  }, FUZZ_TIMEOUT_MS);
});
