// The one snapshot validator: every entry point that accepts a snapshot — `flowlab run --config
// snapshot.json`, the library API (runLab with a parsed snapshot file, readSnapshot) and the page's
// json import (each lab's restore) — calls validateSnapshot after parseSnapshotJson (which checks
// format, version and each array's structure). Checked against the lab's snapshotSpec(config):
//   lab            the lab's id
//   config         the lab's parseConfig (fields reported as config.<field>)
//   arrays         names (unknown ones refused, required ones present), dtypes, shapes against the
//                  config and one another (shared dimensions such as frames agree), finiteness of
//                  the state arrays
//   resume         an object of known fields, each of its kind and in range (step, t, frame, ...)
// Every violation is a FieldError naming the field (arrays.x.shape, resume.frame). DOM-free.

import { FieldError } from '../io/field-error';
import type { NdArray, Snapshot } from '../io/snapshot-types';
import type { ArraySpec, DimSpec, ResumeField, SnapshotSpec } from './snapshot-spec';

/** What validateSnapshot needs of a lab (LabDefinition has it; a page passes its own pieces). */
export interface SnapshotLab<Config> {
  id: string;
  parseConfig(raw: unknown): Config;
  snapshotSpec(config: Config): SnapshotSpec;
}

/** A snapshot that passed validateSnapshot: config is the lab's parsed, complete config. */
export type ValidSnapshot<Config> = Snapshot & { config: Config };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The lab's config check, with the fields named as they sit in the snapshot (config.lambda). */
function parseSnapshotConfig<Config>(lab: SnapshotLab<Config>, raw: unknown): Config {
  if (raw === undefined) throw new FieldError('config', undefined, `the ${lab.id} run config object`);
  try {
    return lab.parseConfig(raw);
  } catch (e) {
    // A subclass (with fields of its own) is passed on as it is.
    if (e instanceof FieldError && e.constructor === FieldError) {
      throw new FieldError(e.field === 'config' ? 'config' : `config.${e.field}`, e.value, e.allowed);
    }
    throw e;
  }
}

/** "[frames, particles, d = 2]": the axes, with the sizes the config fixes. */
function describeShape(s: ArraySpec): string {
  return `[${s.shape.map((d, i) => (typeof d === 'number' ? `${s.axes[i]} = ${d}` : s.axes[i])).join(', ')}]`;
}

function dimAllowed(d: DimSpec, value: number): boolean {
  if (d.values && !d.values.includes(value)) return false;
  if (d.min !== undefined && value < d.min) return false;
  if (d.max !== undefined && value > d.max) return false;
  return true;
}

function checkArrays(spec: SnapshotSpec, arrays: Readonly<Record<string, NdArray>>, labId: string): Record<string, number> {
  if (!isRecord(arrays)) throw new FieldError('arrays', arrays, 'an object of named arrays');
  const dimSpecs = spec.dims ?? {};
  const names = Object.keys(spec.arrays);
  for (const name of Object.keys(arrays)) {
    if (!Object.prototype.hasOwnProperty.call(spec.arrays, name)) {
      throw new FieldError(`arrays.${name}`, 'an array', `no such ${labId} array (allowed: ${names.join(', ')})`);
    }
  }
  const bound: Record<string, number> = Object.create(null) as Record<string, number>;
  const firstUse: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const name of names) {
    const s = spec.arrays[name];
    const a = Object.prototype.hasOwnProperty.call(arrays, name) ? arrays[name] : undefined;
    const field = `arrays.${name}`;
    const wanted = `${s.dtypes.join(' or ')} of shape ${describeShape(s)}`;
    if (a === undefined) {
      if (s.required) throw new FieldError(field, undefined, `required: ${wanted}`);
      continue;
    }
    if (!isRecord(a)) throw new FieldError(field, a, `an array {dtype, shape, data}: ${wanted}`);
    if (!s.dtypes.includes(a.dtype)) throw new FieldError(`${field}.dtype`, a.dtype, `${s.dtypes.map((d) => JSON.stringify(d)).join(' or ')} (${s.dtypes.length > 1 ? 'f32 from the GPU, f64 from the CPU' : 'as flowlab writes it'})`);
    const shape = a.shape;
    if (!Array.isArray(shape) || shape.some((v) => !Number.isInteger(v) || v < 0)) throw new FieldError(`${field}.shape`, shape, `an array of non-negative integers: ${describeShape(s)}`);
    const shown = `[${shape.join(', ')}]`;
    if (shape.length !== s.shape.length) throw new FieldError(`${field}.shape`, shown, `${s.shape.length} axes ${describeShape(s)}`);
    s.shape.forEach((want, i) => {
      const got = shape[i];
      if (typeof want === 'number') {
        if (got !== want) throw new FieldError(`${field}.shape`, shown, `${describeShape(s)}: ${s.axes[i]} = ${want} for this config`);
        return;
      }
      if (want in bound) {
        if (got !== bound[want]) throw new FieldError(`${field}.shape`, shown, `${describeShape(s)}: ${s.axes[i]} = ${bound[want]}, as in arrays.${firstUse[want]}`);
        return;
      }
      const d = dimSpecs[want];
      if (d && !dimAllowed(d, got)) throw new FieldError(`${field}.shape`, shown, `${describeShape(s)}: ${s.axes[i]} ${d.what}`);
      bound[want] = got;
      firstUse[want] = name;
    });
    const count = shape.reduce((p: number, v: number) => p * v, 1);
    const data = a.data as ArrayLike<number> | undefined;
    if (!data || typeof data !== 'object' || typeof data.length !== 'number' || data.length !== count) {
      throw new FieldError(`${field}.data`, data && typeof data.length === 'number' ? `${data.length} values` : data, `${count} values (shape ${shown})`);
    }
    if (s.finite) {
      for (let i = 0; i < count; i++) {
        const v = data[i];
        if (!Number.isFinite(v)) throw new FieldError(`${field}.data[${i}]`, v, `a finite number (arrays.${name} is a state the run continues from)`);
      }
    }
  }
  return { ...bound };
}

function describeField(f: ResumeField): string {
  if (f.allowed) return f.allowed;
  const range = f.min !== undefined && f.max !== undefined ? ` in [${f.min}, ${f.max}]` : f.min !== undefined ? ` >= ${f.min}` : f.max !== undefined ? ` <= ${f.max}` : '';
  if (f.kind === 'numbers') return `an array of ${f.length ?? ''}${f.length !== undefined ? ' ' : ''}finite numbers${range ? ` each${range}` : ''}`;
  return `${f.kind === 'integer' ? 'an integer' : 'a finite number'}${range}`;
}

function inRange(f: ResumeField, v: unknown): boolean {
  if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  if (f.kind === 'integer' && !Number.isInteger(v)) return false;
  return (f.min === undefined || v >= f.min) && (f.max === undefined || v <= f.max);
}

function checkResume(spec: SnapshotSpec, resume: unknown, dims: Record<string, number>, arrays: Readonly<Record<string, NdArray>>): void {
  const rs = spec.resume(dims, arrays);
  if (resume === undefined) {
    if (rs.required) throw new FieldError('resume', undefined, `required: an object with ${Object.keys(rs.fields).join(', ')}`);
    return;
  }
  if (!isRecord(resume)) throw new FieldError('resume', resume, `an object with ${Object.keys(rs.fields).join(', ')}`);
  const known = Object.keys(rs.fields);
  for (const k of Object.keys(resume)) {
    if (!known.includes(k)) throw new FieldError(`resume.${k}`, resume[k], `no such field (allowed: ${known.join(', ')})`);
  }
  const values: Record<string, number | number[] | undefined> = Object.create(null) as Record<string, number | number[] | undefined>;
  for (const [k, f] of Object.entries(rs.fields)) {
    const v = resume[k];
    const field = `resume.${k}`;
    if (v === undefined) {
      if (f.required) throw new FieldError(field, undefined, `required: ${describeField(f)}`);
      continue;
    }
    if (f.kind === 'numbers') {
      if (!Array.isArray(v) || (f.length !== undefined && v.length !== f.length)) throw new FieldError(field, v, describeField(f));
      const bad = v.findIndex((x) => !inRange(f, x));
      if (bad >= 0) throw new FieldError(`${field}[${bad}]`, v[bad], describeField(f));
      values[k] = v as number[];
    } else {
      if (!inRange(f, v)) throw new FieldError(field, v, describeField(f));
      values[k] = v as number;
    }
  }
  for (const [k, f] of Object.entries(rs.fields)) {
    const v = values[k];
    if (v === undefined || !f.check) continue;
    const allowed = f.check(v, values);
    if (allowed !== null) throw new FieldError(`resume.${k}`, v, allowed);
  }
}

/**
 * Check `snapshot` (parsed by parseSnapshotJson, or built in memory) against `lab`: lab id, config,
 * arrays, resume. Returns the snapshot with its config parsed; throws FieldError naming the field.
 */
export function validateSnapshot<Config>(snapshot: Snapshot, lab: SnapshotLab<Config>): ValidSnapshot<Config> {
  if (!isRecord(snapshot)) throw new FieldError('snapshot', snapshot, `a ${lab.id} snapshot`);
  if (snapshot.lab !== lab.id) throw new FieldError('lab', snapshot.lab, `${JSON.stringify(lab.id)} (a snapshot of this lab)`);
  const config = parseSnapshotConfig(lab, snapshot.config);
  const spec = lab.snapshotSpec(config);
  const dims = checkArrays(spec, snapshot.arrays, lab.id);
  checkResume(spec, snapshot.resume, dims, snapshot.arrays);
  return { ...snapshot, config };
}
