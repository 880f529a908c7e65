// Header controls: lab picker, presets, play / pause, single step, reset, speed.

import { h } from './dom';
import { DEFAULT_DURATION, DURATIONS, SPEEDS, snapSpeed } from './frame-loop';

const ICONS = {
  play: 'M3 1.5v13l11-6.5z',
  pause: 'M3 1.5h3.5v13H3zM9.5 1.5H13v13H9.5z',
  step: 'M2 1.5v13l8.5-6.5zM11 1.5h3v13h-3z',
  reset: 'M8 2a6 6 0 1 1-5.66 4H0.5L4 2l3.5 4H4.5A4 4 0 1 0 8 4z',
} as const;

/** A label with a small inline icon (no emoji: they are missing from many fonts). */
function iconLabel(icon: keyof typeof ICONS, text: string): DocumentFragment {
  const f = document.createDocumentFragment();
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('class', 'btn-icon');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', ICONS[icon]);
  svg.append(path);
  f.append(svg, text);
  return f;
}

export interface RunControlActions {
  playPause(): void;
  step(): void;
  reset(): void;
  speed(stepsPerFrame: number): void;
  /** Pace by wall-clock time: the whole run in `seconds`. */
  duration(seconds: number): void;
  lab(id: string): void;
  preset(id: string): void;
}

export interface Choice {
  id: string;
  title: string;
  description?: string;
  /** Listed but not selectable (e.g. a lab without a browser page: "CLI only for now"). */
  disabled?: boolean;
}

export class RunControls {
  readonly el: HTMLElement;
  readonly labSelect: HTMLSelectElement;
  readonly presetSelect: HTMLSelectElement;
  private readonly playButton: HTMLButtonElement;
  private readonly speedSelect: HTMLSelectElement;

  constructor(actions: RunControlActions) {
    this.labSelect = h('select', { 'aria-label': 'Lab', title: 'Choose a lab', 'data-testid': 'lab-select' });
    this.labSelect.addEventListener('change', () => actions.lab(this.labSelect.value));
    this.presetSelect = h('select', { 'aria-label': 'Preset', title: 'Named presets: a complete config each', 'data-testid': 'preset-select' });
    this.presetSelect.addEventListener('change', () => {
      const v = this.presetSelect.value;
      if (v) actions.preset(v);
      this.presetSelect.blur();
    });
    this.playButton = h('button', { type: 'button', class: 'primary', title: 'Play / pause (Space)', 'data-testid': 'play' }, iconLabel('play', 'Play'));
    this.playButton.addEventListener('click', () => actions.playPause());
    const step = h('button', { type: 'button', title: 'Single step (. or →)', 'data-testid': 'step', onclick: () => actions.step() }, iconLabel('step', 'Step'));
    const reset = h('button', { type: 'button', title: 'Reset to t = T (R)', 'data-testid': 'reset', onclick: () => actions.reset() }, iconLabel('reset', 'Reset'));
    // One control, two paces: the whole run in a wall-clock time (any lab reaches its end in about
    // that long, whatever its step count) or a fixed number of steps per frame (for watching a run
    // step by step). Values: "T:<seconds>" and "<steps per frame>".
    this.speedSelect = h(
      'select',
      { 'aria-label': 'Speed', title: 'Time to reach the end of the run, or steps per frame (+ / -)', 'data-testid': 'speed' },
      h('optgroup', { label: 'Time to the end' }, ...DURATIONS.map((d) => h('option', { value: `T:${d}` }, d < 60 ? `end in ${d} s` : `end in ${d / 60} min`))),
      h('optgroup', { label: 'Steps per frame' }, ...SPEEDS.map((s) => h('option', { value: String(s) }, `${s}×`))),
    );
    this.speedSelect.value = `T:${DEFAULT_DURATION}`;
    this.speedSelect.addEventListener('change', () => {
      const v = this.speedSelect.value;
      if (v.startsWith('T:')) actions.duration(Number(v.slice(2)));
      else actions.speed(snapSpeed(Number(v)));
      this.speedSelect.blur(); // give Space back to the shortcuts
    });
    this.el = h(
      'div',
      { class: 'run-controls' },
      h('label', { class: 'field' }, h('span', {}, 'Lab'), this.labSelect),
      h('label', { class: 'field' }, h('span', {}, 'Preset'), this.presetSelect),
      h('div', { class: 'button-group', role: 'group', 'aria-label': 'Run controls' }, this.playButton, step, reset, h('label', { class: 'field speed' }, h('span', {}, 'Speed'), this.speedSelect)),
    );
  }

  setLabs(labs: Choice[], current: string): void {
    this.labSelect.replaceChildren(
      ...labs.map((l) => {
        const o = h('option', { value: l.id, title: l.disabled ? 'CLI only for now' : l.description }, l.disabled ? `${l.title} (CLI only)` : l.title);
        o.disabled = l.disabled === true;
        return o;
      }),
    );
    this.labSelect.value = current;
    this.labSelect.disabled = labs.filter((l) => !l.disabled).length < 2;
  }

  setPresets(presets: Choice[], current: string | null): void {
    this.presetSelect.replaceChildren(
      h('option', { value: '' }, current ? '—' : 'Custom'),
      ...presets.map((p) => h('option', { value: p.id, title: p.description }, p.title)),
    );
    this.presetSelect.value = current ?? '';
    this.presetSelect.disabled = presets.length === 0;
  }

  showPreset(current: string | null): void {
    this.presetSelect.value = current ?? '';
    const first = this.presetSelect.options[0];
    if (first) first.textContent = current ? '—' : 'Custom';
  }

  showPlaying(playing: boolean, done: boolean): void {
    const state = playing ? 'pause' : done ? 'replay' : 'play';
    if (this.playButton.dataset.state === state) return;
    this.playButton.dataset.state = state;
    this.playButton.replaceChildren(iconLabel(playing ? 'pause' : done ? 'reset' : 'play', playing ? 'Pause' : done ? 'Replay' : 'Play'));
    this.playButton.setAttribute('aria-pressed', String(playing));
  }

  /** Shows the SPEEDS entry the loop runs at (a value off the list is snapped, as the loop snaps it). */
  showSpeed(speed: number): void {
    this.speedSelect.value = String(snapSpeed(speed));
  }

  /** Shows the time-to-end pace (a DURATIONS entry). */
  showDuration(seconds: number): void {
    this.speedSelect.value = `T:${seconds}`;
  }
}
