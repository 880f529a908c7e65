// Snapshot -> file bytes, by format. Shared by the CLI (--out) and the page's export menu.
// exportSnapshotParts returns the file as a list of byte chunks: the CLI writes them one by one
// and the page passes them to `new Blob(parts)`, so big runs never need one giant string.

import { encodeNpz } from './npz';
import { depthCsvChunks, gridCsvChunks, trajectoryCsvChunks, type CsvBatches } from './csv';
import { snapshotJsonChunks } from './snapshot-json';
import type { Snapshot } from './snapshot-types';

export type ExportFormat = 'npz' | 'json' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['npz', 'json', 'csv'];

export const MIME_TYPES: Record<ExportFormat, string> = {
  npz: 'application/zip',
  json: 'application/json',
  csv: 'text/csv',
};

/** The format a file name asks for, or null (e.g. "run.NPZ" -> "npz"). */
export function formatFromPath(path: string): ExportFormat | null {
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
  return ext && (EXPORT_FORMATS as readonly string[]).includes(ext) ? (ext as ExportFormat) : null;
}

/** What goes into meta.json: the snapshot's meta with lab and config always present. */
export function snapshotMeta(s: Snapshot): Record<string, unknown> {
  return { lab: s.lab, config: s.config, ...s.meta };
}

function encodeText(chunks: Iterable<string>): Uint8Array[] {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  let pending = '';
  for (const c of chunks) {
    pending += c;
    if (pending.length >= 1 << 22) {
      parts.push(enc.encode(pending));
      pending = '';
    }
  }
  if (pending.length > 0) parts.push(enc.encode(pending));
  return parts;
}

/**
 * Serialise `s` as byte chunks. npz: arrays as .npy members + meta.json. json: reloadable
 * (config + arrays + resume). csv: the trajectory (arrays t and x) in long format, token states
 * through depth (arrays depth (frames) and tokens (frames, sequences, tokens, d), with layer when
 * present) one row per (frame, sequence, token), or a grid map (arrays x1, x2 and every
 * (N1, N2, ...) array) one row per grid point; other arrays and meta are not part of it.
 */
export function exportSnapshotParts(s: Snapshot, format: ExportFormat): Uint8Array[] {
  switch (format) {
    case 'npz':
      return [encodeNpz(s.arrays, snapshotMeta(s))];
    case 'json':
      return encodeText(snapshotJsonChunks(s));
    case 'csv': {
      const { t, x, x1, x2 } = s.arrays;
      if (t && x) return encodeText(trajectoryCsvChunks(t, x, csvBatches(s.meta.compare)));
      // States recorded through depth (the transformer lab): recognised by shape, not by lab.
      const { depth, tokens, layer } = s.arrays;
      if (depth && tokens && depth.shape.length === 1 && tokens.shape.length === 4) return encodeText(depthCsvChunks(depth, tokens, layer));
      // Maps over a 2-D grid (the bilevel lab): one row per grid point with every (N1, N2, ...) array.
      if (x1 && x2) return encodeText(gridCsvChunks(x1, x2, Object.entries(s.arrays)));
      throw new Error(`csv export needs arrays "t" and "x" (a trajectory), "depth" and a rank-4 "tokens" (states through depth) or "x1" and "x2" (a grid map); this snapshot has ${Object.keys(s.arrays).join(', ') || 'none'}`);
    }
  }
}

/** meta.compare of a compared run (src/labs/compare.ts) as the csv writer's batches; else undefined. */
function csvBatches(compare: unknown): CsvBatches | undefined {
  if (typeof compare !== 'object' || compare === null) return undefined;
  const { key, values } = compare as { key?: unknown; values?: unknown };
  return typeof key === 'string' && Array.isArray(values) && values.every((v) => typeof v === 'number') ? { key, values: values as number[] } : undefined;
}

/** The file as one byte array (small snapshots, tests). */
export function exportSnapshot(s: Snapshot, format: ExportFormat): Uint8Array {
  const parts = exportSnapshotParts(s, format);
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Suggested download name, e.g. "score-mixing-2026-01-31T12-00-00.npz". */
export function suggestedFileName(s: Snapshot, format: ExportFormat, date = new Date()): string {
  return `${s.lab}-${date.toISOString().replace(/[:.]/g, '-').slice(0, 19)}.${format}`;
}
