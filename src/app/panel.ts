// The parameter panel, generated from a lab's ParamSpec list: a slider per number (log-mapped for
// ranges spanning decades), a dropdown per choice, a checkbox per boolean; the help text is the
// tooltip. The panel proposes values; the shell validates them (lab.parseConfig) and either
// accepts them or calls setValues() with the previous config, so a rejected value never sticks.

import GUI, { type Controller } from 'lil-gui';
import type { NumberParam, ParamSpec } from '../labs/schema';
import { getPath } from './url-state';

export type PanelChange = (key: string, value: number | string | boolean) => void;

function formatNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

interface Entry {
  spec: ParamSpec;
  controller: Controller;
}

export class ParamPanel {
  private readonly gui: GUI;
  /** The object lil-gui edits: one property per spec (log params hold log10 of the value). */
  private readonly values: Record<string, number | string | boolean> = {};
  private readonly entries: Entry[] = [];

  constructor(container: HTMLElement, title: string, params: readonly ParamSpec[], onChange: PanelChange) {
    this.gui = new GUI({ container, title });
    for (const spec of params) {
      this.values[spec.key] = spec.kind === 'number' && spec.scale === 'log' ? Math.log10(spec.default) : spec.default;
      const controller = this.addController(spec);
      controller.onChange((v: number | string | boolean) => {
        if (spec.kind === 'number') {
          const value = spec.scale === 'log' ? Number(Math.pow(10, v as number).toPrecision(6)) : (v as number);
          this.relabel(spec, value, controller);
          onChange(spec.key, spec.integer ? Math.round(value) : value);
        } else onChange(spec.key, v);
      });
      const tip = `${spec.help}${spec.kind === 'number' ? ` Range ${spec.min} – ${spec.max}${spec.unit ? ' ' + spec.unit : ''}.` : ''}`;
      controller.domElement.title = tip;
      controller.domElement.dataset.param = spec.key;
      this.entries.push({ spec, controller });
    }
  }

  private addController(spec: ParamSpec): Controller {
    switch (spec.kind) {
      case 'number': {
        if (spec.scale === 'log') {
          const c = this.gui.add(this.values, spec.key, Math.log10(spec.min), Math.log10(spec.max), 0.01);
          c.domElement.classList.add('log-param');
          c.name(this.label(spec));
          c.$widget.append(Object.assign(document.createElement('span'), { className: 'log-value' }));
          this.relabel(spec, spec.default, c);
          return c;
        }
        const step = spec.integer ? Math.max(1, spec.step ?? 1) : (spec.step ?? niceStep(spec));
        return this.gui.add(this.values, spec.key, spec.min, spec.max, step).name(this.label(spec));
      }
      case 'choice':
        return this.gui.add(this.values, spec.key, [...spec.options]).name(spec.label);
      case 'boolean':
        return this.gui.add(this.values, spec.key).name(spec.label);
    }
  }

  private label(spec: NumberParam): string {
    return spec.label;
  }

  /** Log sliders show the value itself (the slider position is its log10). */
  private relabel(spec: NumberParam, value: number, c: Controller): void {
    if (spec.scale !== 'log') return;
    const span = c.$widget.querySelector('.log-value');
    if (span) span.textContent = formatNumber(value);
  }

  /** Show `config`'s values (no change events). */
  setValues(config: unknown): void {
    for (const { spec, controller } of this.entries) {
      const v = getPath(config, spec.key);
      if (v === undefined) {
        controller.disable(true);
        continue;
      }
      controller.disable(false);
      if (spec.kind === 'number' && typeof v === 'number') {
        this.values[spec.key] = spec.scale === 'log' ? Math.log10(v) : v;
        this.relabel(spec, v, controller);
      } else this.values[spec.key] = v as string | boolean;
      controller.updateDisplay();
    }
  }

  dispose(): void {
    this.gui.destroy();
  }
}

function niceStep(spec: NumberParam): number {
  const raw = (spec.max - spec.min) / 1000;
  return Math.pow(10, Math.floor(Math.log10(raw)));
}
