// The parameter panel, generated from a lab's ParamSpec list: a slider per number (log-mapped for
// ranges spanning decades), a dropdown per choice, a checkbox per boolean; the help text is the
// tooltip. The panel proposes values; the shell validates them (lab.parseConfig) and either
// accepts them or calls setValues() with the previous config, so a rejected value never sticks.
// A number spec with a `window` (its admissible sub-range given the other values) gets a band on
// its slider track and a warning style + tooltip when outside, recomputed on every change
// (param-window.ts holds the geometry).

import GUI, { type Controller } from 'lil-gui';
import type { NumberController } from 'lil-gui';
import type { NumberParam, ParamSpec, ParamValues } from '../labs/schema';
import { windowState, windowTooltip } from './param-window';
import { decimalLiteral } from '../io/input';
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
  /** The help tooltip (a window adds a line). */
  tip: string;
  /** The window band on the slider track (specs with a window). */
  band?: HTMLDivElement;
}

/** Track fraction -> CSS length inside lil-gui's slider (its fill spans the width less the knob). */
const track = (f: number): string => `calc((100% - var(--slider-knob-width, 2px)) * ${f})`;

export class ParamPanel {
  private readonly gui: GUI;
  /** The object lil-gui edits: one property per spec (log params hold log10 of the value). */
  private readonly values: Record<string, number | string | boolean> = {};
  private readonly entries: Entry[] = [];
  /** The values themselves (not log10), for the windows: the last shown config plus proposals. */
  private readonly current: ParamValues = {};

  constructor(
    container: HTMLElement,
    title: string,
    params: readonly ParamSpec[],
    private readonly onChange: PanelChange,
  ) {
    // Its stylesheet comes from main.ts: an injected <style> would break the Content-Security-Policy.
    this.gui = new GUI({ container, title, injectStyles: false });
    for (const spec of params) {
      this.values[spec.key] = spec.kind === 'number' && spec.scale === 'log' ? Math.log10(spec.default) : spec.default;
      this.current[spec.key] = spec.default;
      const controller = this.addController(spec);
      controller.onChange((v: number | string | boolean) => {
        let value = v;
        if (spec.kind === 'number') {
          const x = spec.scale === 'log' ? Number(Math.pow(10, v as number).toPrecision(6)) : (v as number);
          this.relabel(spec, x, controller);
          value = spec.integer ? Math.round(x) : x;
        }
        this.current[spec.key] = value;
        this.refreshWindows();
        onChange(spec.key, value);
      });
      const tip = `${spec.help}${spec.kind === 'number' ? ` Range ${spec.min} – ${spec.max}${spec.unit ? ' ' + spec.unit : ''}.` : ''}`;
      controller.domElement.title = tip;
      controller.domElement.dataset.param = spec.key;
      const entry: Entry = { spec, controller, tip };
      if (spec.kind === 'number' && spec.window) entry.band = this.addBand(controller as NumberController);
      this.entries.push(entry);
    }
    this.refreshWindows();
  }

  /** An absolutely placed band under the knob of the slider track. */
  private addBand(c: NumberController): HTMLDivElement | undefined {
    const slider = c.$slider as HTMLDivElement | undefined;
    if (!slider) return undefined;
    const band = document.createElement('div');
    band.className = 'param-window-band';
    band.hidden = true;
    slider.classList.add('has-window');
    slider.prepend(band);
    c.domElement.classList.add('has-window');
    return band;
  }

  /** Recompute every window from the current values: band, warning class, tooltip, label. */
  private refreshWindows(): void {
    for (const { spec, controller, tip, band } of this.entries) {
      if (spec.kind !== 'number' || !spec.window) continue;
      const st = windowState(spec, this.current);
      const el = controller.domElement;
      if (band) {
        const b = st?.band;
        band.hidden = !b;
        if (b) {
          band.style.left = track(b.left);
          band.style.width = b.point ? '' : `calc(${track(b.width)} + var(--slider-knob-width, 2px))`;
          band.classList.toggle('point', b.point);
          band.dataset.from = String(st.window.from);
          band.dataset.to = String(st.window.to);
        }
      }
      const outside = st?.outside ?? false;
      el.classList.toggle('param-outside-window', outside);
      el.dataset.window = st ? (outside ? 'outside' : 'inside') : 'none';
      el.title = st ? `${tip}\n${windowTooltip(st)}` : tip;
      controller.name(outside ? `⚠ ${spec.label}` : spec.label);
    }
  }

  private addController(spec: ParamSpec): Controller {
    switch (spec.kind) {
      case 'number': {
        if (spec.scale === 'log') {
          const c = this.gui.add(this.values, spec.key, Math.log10(spec.min), Math.log10(spec.max), 0.01);
          c.domElement.classList.add('log-param');
          c.name(this.label(spec));
          c.$widget.append(this.logValueInput(spec));
          this.relabel(spec, spec.default, c);
          return c;
        }
        const step = spec.integer ? Math.max(1, spec.step ?? 1) : (spec.step ?? niceStep(spec));
        const c = this.gui.add(this.values, spec.key, spec.min, spec.max, step).name(this.label(spec)) as NumberController;
        // A typed value is taken as typed: lil-gui would snap it to min + k step (κ = 3 became 3.001
        // with min 1e-3, step 0.01). The slider still moves in steps.
        if (!spec.integer) c.step(step, false);
        return c;
      }
      case 'choice':
        return this.gui.add(this.values, spec.key, [...spec.options]).name(spec.label);
      case 'boolean':
        return this.gui.add(this.values, spec.key).name(spec.label);
    }
  }

  /**
   * A log slider's value as an editable text box: lil-gui's slider is not focusable and its own
   * number box would show log10, so this box is how a keyboard reaches the parameter. Enter or
   * leaving the box proposes the value typed; the shell validates it like any other proposal (a
   * bad value is refused with a notice naming the field and range, and the box shows the old one).
   */
  private logValueInput(spec: NumberParam): HTMLInputElement {
    const input = Object.assign(document.createElement('input'), { type: 'text', className: 'log-value', inputMode: 'decimal', spellcheck: false });
    input.setAttribute('aria-label', `${spec.label}${spec.unit ? ` (${spec.unit})` : ''}, ${spec.min} to ${spec.max}`);
    input.addEventListener('change', () => {
      const text = input.value.trim();
      const x = decimalLiteral(text);
      const value = x === undefined ? text : spec.integer ? Math.round(x) : x;
      this.current[spec.key] = value;
      this.refreshWindows();
      this.onChange(spec.key, value);
    });
    input.addEventListener('keydown', (e) => e.stopPropagation()); // typing "-" or "." is not a shortcut
    return input;
  }

  private label(spec: NumberParam): string {
    return spec.label;
  }

  /** Log sliders show the value itself (the slider position is its log10). */
  private relabel(spec: NumberParam, value: number, c: Controller): void {
    if (spec.scale !== 'log') return;
    const box = c.$widget.querySelector<HTMLInputElement>('input.log-value');
    if (box) box.value = formatNumber(value);
  }

  /** Show `config`'s values (no change events). */
  setValues(config: unknown): void {
    for (const { spec, controller } of this.entries) {
      const v = getPath(config, spec.key);
      const box = controller.$widget.querySelector<HTMLInputElement>('input.log-value');
      if (box) box.disabled = v === undefined; // out of the Tab order and of contrast checks, as lil-gui's own inputs
      if (v === undefined) {
        controller.disable(true);
        delete this.current[spec.key];
        continue;
      }
      controller.disable(false);
      this.current[spec.key] = v as number | string | boolean;
      if (spec.kind === 'number' && typeof v === 'number') {
        this.values[spec.key] = spec.scale === 'log' ? Math.log10(v) : v;
        this.relabel(spec, v, controller);
      } else this.values[spec.key] = v as string | boolean;
      controller.updateDisplay();
    }
    this.refreshWindows();
  }

  dispose(): void {
    this.gui.destroy();
  }
}

function niceStep(spec: NumberParam): number {
  const raw = (spec.max - spec.min) / 1000;
  return Math.pow(10, Math.floor(Math.log10(raw)));
}
