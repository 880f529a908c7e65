// Property tests (fast-check) of every input path of the bilevel lab: config parser, URL state and
// --set (shared, test/support/lab-fuzz.ts); the lab has no file import of its own (snapshots are
// covered by test/unit/input-fuzz.test.ts). 10,000 cases per path, fixed seed; FLOWLAB_FUZZ_RUNS
// raises the count (test/support/fuzz.ts).

import { describe } from 'vitest';
import { bilevelLab } from '../../src/labs/bilevel';
import { labInputProperties } from '../support/lab-fuzz';

describe('bilevel input properties', () => {
  labInputProperties(bilevelLab);
});
