// Comparing configs of one lab (DOM-free): which preset the current config is (the header's preset
// select shows it), and whether its point sets are something the user made (then a preset or a lab
// switch says the setup is kept in the browser history, one Back away).

import type { AnyLab } from './shell-parts';

export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Config fields not described by the schema (point sets, ...): what the user may have hand-made. */
function structuredPart(lab: AnyLab, config: unknown): unknown {
  const c = clone(config) as Record<string, unknown>;
  for (const p of lab.params) {
    const parts = p.key.split('.');
    let cur: unknown = c;
    for (const k of parts.slice(0, -1)) cur = (cur as Record<string, unknown> | undefined)?.[k];
    if (cur && typeof cur === 'object') delete (cur as Record<string, unknown>)[parts[parts.length - 1]];
  }
  return c;
}

/** The id of the preset `config` is (compared after parsing), or null: a custom config. */
export function matchingPreset(lab: AnyLab, config: unknown): string | null {
  return lab.presets.find((p) => sameJson(lab.parseConfig(p.config), config))?.id ?? null;
}

/** True when the config's point sets (non-schema fields) match no preset and not the defaults. */
export function userMadeStructure(lab: AnyLab, config: unknown): boolean {
  const mine = structuredPart(lab, config);
  const known = [lab.defaultConfig(), ...lab.presets.map((p) => p.config)].map((c) => {
    try {
      return structuredPart(lab, lab.parseConfig(c));
    } catch {
      return null;
    }
  });
  return !known.some((k) => sameJson(k, mine));
}
