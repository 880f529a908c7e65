// `flowlab labs [lab] [--json]`: the labs, their parameters (range, default, unit, help) and
// presets. Naming a lab also prints its default config, ready to save as a --config file.

import { LABS, getLab } from '../labs/registry';
import type { LabDefinition } from '../labs/lab';
import type { ParamSpec } from '../labs/schema';

function range(p: ParamSpec): string {
  switch (p.kind) {
    case 'number':
      return `${p.integer ? 'integer' : 'number'} ${p.min} .. ${p.max}${p.scale === 'log' ? ' (log scale)' : ''}`;
    case 'choice':
      return p.options.map((o) => JSON.stringify(o)).join(' | ');
    case 'boolean':
      return 'true | false';
  }
}

function describeLab(lab: LabDefinition<unknown>, withExample: boolean): string {
  const lines = [`${lab.id} — ${lab.title}`, `  ${lab.summary}`, '', '  parameters (config key, allowed values, default):'];
  const keyWidth = Math.max(...lab.params.map((p) => p.key.length));
  const rangeWidth = Math.max(...lab.params.map((p) => range(p).length));
  for (const p of lab.params) {
    const unit = p.kind === 'number' && p.unit ? ` ${p.unit}` : '';
    lines.push(`    ${p.key.padEnd(keyWidth)}  ${range(p).padEnd(rangeWidth)}  default ${JSON.stringify(p.default)}${unit}`);
    lines.push(`    ${' '.repeat(keyWidth)}  ${p.help}`);
  }
  if (lab.presets.length > 0) {
    lines.push('', '  presets (flowlab run ' + lab.id + ' --preset <id>):');
    const w = Math.max(...lab.presets.map((p) => p.id.length));
    for (const p of lab.presets) lines.push(`    ${p.id.padEnd(w)}  ${p.title}`);
  }
  if (withExample) lines.push('', '  default config:', JSON.stringify(lab.defaultConfig(), null, 2).replace(/^/gm, '    '));
  return lines.join('\n');
}

export function labsText(labId: string | undefined): string {
  const labs = labId ? [getLab(labId)] : LABS;
  return labs.map((l) => describeLab(l, labId !== undefined)).join('\n\n') + '\n';
}

export function labsJson(labId: string | undefined): string {
  const labs = labId ? [getLab(labId)] : LABS;
  return (
    JSON.stringify(
      labs.map((l) => ({
        id: l.id,
        title: l.title,
        summary: l.summary,
        params: l.params,
        presets: l.presets.map((p) => ({ id: p.id, title: p.title, description: p.description })),
        defaultConfig: l.defaultConfig(),
      })),
      null,
      2,
    ) + '\n'
  );
}
