// A .json snapshot given where a config is expected — `flowlab run <lab> --config snapshot.json`,
// runLab(id, JSON.parse(snapshotText)) — or read on its own (readSnapshot): parsed by io's
// parseSnapshotValue (format, version, array structure) and checked against the lab by the one
// validator, validateSnapshot (config, array names, dtypes, shapes, finite state, resume). Its
// full config reruns the run. Bad input throws FieldError naming the field (exit 2 in the CLI).

import { FieldError } from '../io/field-error';
import { parseSnapshotValue, SNAPSHOT_FORMAT } from '../io/snapshot-json';
import type { Snapshot } from '../io/snapshot-types';
import type { LabDefinition } from '../labs/lab';
import { validateSnapshot, type ValidSnapshot } from '../labs/snapshot-check';

/** Whether a parsed JSON value says it is a snapshot ({"format": "flowlab-snapshot", ...}). */
export function isSnapshotValue(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) && (raw as { format?: unknown }).format === SNAPSHOT_FORMAT;
}

/** The validated snapshot of a parsed JSON value, for `lab` (FieldError on the first problem). */
export function snapshotOfValue<Config>(raw: unknown, lab: LabDefinition<Config>): ValidSnapshot<Config> {
  return checkSnapshotFor(parseSnapshotValue(raw), lab);
}

/** validateSnapshot of a parsed snapshot for `lab`. */
export function checkSnapshotFor<Config>(snap: Snapshot, lab: LabDefinition<Config>): ValidSnapshot<Config> {
  if (snap.lab !== lab.id) throw new FieldError('lab', snap.lab, `${JSON.stringify(lab.id)} (a snapshot of the lab being run)`);
  return validateSnapshot(snap, lab);
}

/** The config a snapshot reruns: a fresh copy of its validated config. */
export function configOfSnapshotValue<Config>(raw: unknown, lab: LabDefinition<Config>): Config {
  return structuredClone(snapshotOfValue(raw, lab).config);
}
