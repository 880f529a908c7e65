// The score-mixing page's Convergence panel (a collapsed <details> under the charts): the lab's
// convergence study (../convergence.ts, the code `flowlab convergence score-mixing` runs) on the
// page's config at a reduced particle count — on host.gpu in float32 when the page has one, else on
// the float64 CPU reference with fewer particles. It shows error against steps per integrator with
// the fitted orders and theory slopes, the initialisation error against T (and error against drift
// evaluations when the study ran the adaptive integrator), a progress bar, the
// equivalent CLI command line and downloads of the study (.npz, the CLI's bytes for the same
// request) and of the config that command reads.
//
// The study is started by the button and awaited here, outside the frame loop; the particle
// animation keeps running (the study has its own buffers at <= 64 particles, and pages cannot hold
// the shell's loop). A config change during or after a study marks the result stale instead of
// passing old numbers off as the new config's. Errors (a FieldError from the study, a lost device)
// go to host.notify; the start and the outcome are announced through the shell's notices, the
// progress through the page's summary (the shell's aria-live region), not a live region of its own.

import type { GpuContext } from '../../../gpu/device';
import { exportSnapshotParts, MIME_TYPES } from '../../../io/export';
import type { Snapshot } from '../../../io/snapshot-types';
import type { ConvergenceRequest, ConvergenceStudy } from '../../convergence';
import type { Backend } from '../../headless-options';
import type { ViewHost } from '../../lab';
import { saveBlob } from '../../shared/view/download';
import { particleCount } from '../config';
import type { ScoreMixingConfig } from '../types';
import { ConvergenceChart } from './charts/convergence';
import { InitErrorChart } from './charts/init-error';
import { WorkChart } from './charts/work';
import {
  CPU_STUDY_PARTICLES,
  DEFAULT_STUDY_STEPS,
  GPU_STUDY_PARTICLES,
  STUDY_CONFIG_FILE,
  cliCommand,
  describeStudyConfig,
  fullSizeHint,
  parseStepCounts,
  parseTolerances,
  pickedIntegrators,
  reduceParticles,
  resultCaption,
} from './convergence-request';
import { orderLabel, studyRows } from './convergence-series';

/** What the panel reads of its page. */
export interface ConvergencePanelPage {
  host: ViewHost;
  /** The page's device now (null: the CPU reference runs the study). */
  gpu(): GpuContext | null;
  /** The page's meta.backendNote (what runs where and why), put in the study's meta as runConvergence does. */
  backendNote(): string;
}

export type StudyState = 'idle' | 'running' | 'done' | 'stale' | 'error';

interface StudyResult {
  snapshot: Snapshot;
  /** The config it ran (particles reduced) and the particle cap it was reduced with. */
  config: ScoreMixingConfig;
  cap: number;
}

const NOTICE_KEY = 'score-mixing-convergence';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

function backendOf(gpu: GpuContext | null): Backend {
  return gpu ? (gpu.isSoftware ? 'webgpu-swiftshader' : 'webgpu') : 'cpu-float64';
}

/**
 * An empty submit per animation frame until the returned function is called: a paused page draws
 * (and submits) only now and then, and Chromium then flushes the device so rarely that the study's
 * awaited readbacks crawl (seen: minutes for a study of 16 particles). The shell does the same
 * while it holds the frame loop (app.ts, FrameLoop.whileHeld).
 */
function keepFlushing(gpu: GpuContext): () => void {
  let handle = 0;
  const tick = (): void => {
    gpu.device.queue.submit([]);
    handle = requestAnimationFrame(tick);
  };
  handle = requestAnimationFrame(tick);
  return () => cancelAnimationFrame(handle);
}

export class ConvergencePanel {
  readonly root: HTMLDetailsElement;
  private readonly intro: HTMLParagraphElement;
  private readonly picks = new Map<string, HTMLInputElement>();
  private readonly stepsInput: HTMLInputElement;
  private readonly tolsInput: HTMLInputElement | null;
  private readonly runButton: HTMLButtonElement;
  private readonly progress: HTMLProgressElement;
  private readonly statusText: HTMLParagraphElement;
  private readonly errorChart: ConvergenceChart;
  private readonly initChart: InitErrorChart;
  private readonly workChart: WorkChart;
  private readonly downloadButton: HTMLButtonElement;
  private readonly command: HTMLElement;
  private readonly sizeHint: HTMLParagraphElement;
  private config: ScoreMixingConfig | null = null;
  private result: StudyResult | null = null;
  private running = false;
  private fraction = 0;
  private disposed = false;

  constructor(
    parent: HTMLElement,
    private readonly study: ConvergenceStudy<ScoreMixingConfig>,
    private readonly page: ConvergencePanelPage,
  ) {
    this.root = el('details', { class: 'convergence-panel', 'data-control': 'convergence', 'data-state': 'idle' });
    this.root.style.cssText = 'font:12px system-ui,sans-serif;max-width:100%;min-width:0';
    const summary = el('summary', {}, 'Convergence study');
    summary.style.cssText = 'cursor:pointer;font-weight:600';
    this.intro = el('p');

    const integrators = el('fieldset');
    integrators.style.cssText = 'border:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:4px 10px';
    integrators.append(el('legend', {}, 'Integrators'));
    for (const name of study.integrators) {
      const box = el('input', { type: 'checkbox', 'data-control': `convergence-integrator-${name}`, value: name });
      box.checked = study.defaultIntegrators.includes(name);
      box.addEventListener('change', () => this.refreshCommand());
      const label = el('label');
      label.append(box, document.createTextNode(` ${name}`));
      integrators.append(label);
      this.picks.set(name, box);
    }

    const field = (labelText: string, input: HTMLInputElement): HTMLLabelElement => {
      const label = el('label', {}, labelText);
      label.style.cssText = 'display:flex;flex-wrap:wrap;align-items:center;gap:6px';
      input.style.cssText = 'flex:1 1 8em;min-width:0;max-width:100%';
      input.addEventListener('input', () => this.refreshCommand());
      label.append(input);
      return label;
    };
    this.stepsInput = el('input', { type: 'text', inputmode: 'numeric', 'data-control': 'convergence-steps', value: DEFAULT_STUDY_STEPS.join(', ') });
    const stepsField = field('Step counts', this.stepsInput);
    this.tolsInput = study.defaultTolerances ? el('input', { type: 'text', 'data-control': 'convergence-tols', value: study.defaultTolerances.join(', ') }) : null;

    this.runButton = el('button', { type: 'button', 'data-control': 'convergence-run' }, 'Run study');
    this.runButton.addEventListener('click', () => void this.run());
    this.progress = el('progress', { max: '1', value: '0', 'aria-label': 'convergence study progress', 'data-control': 'convergence-progress' });
    this.progress.hidden = true;
    this.statusText = el('p', { 'data-control': 'convergence-status' }, 'Not run yet.');
    const runRow = el('div');
    runRow.style.cssText = 'display:flex;flex-wrap:wrap;align-items:center;gap:8px';
    runRow.append(this.runButton, this.progress);

    const charts = el('div');
    charts.style.cssText = 'display:flex;flex-direction:column;gap:10px;min-width:0';
    this.errorChart = new ConvergenceChart(charts);
    this.initChart = new InitErrorChart(charts);
    this.workChart = new WorkChart(charts);

    this.downloadButton = el('button', { type: 'button', 'data-control': 'convergence-download' }, 'Download study (.npz)');
    this.downloadButton.disabled = true;
    this.downloadButton.addEventListener('click', () => this.downloadStudy());
    const configButton = el('button', { type: 'button', 'data-control': 'convergence-config' }, 'Download config (.json)');
    configButton.addEventListener('click', () => this.downloadConfig());
    const fileRow = el('div');
    fileRow.style.cssText = 'display:flex;flex-wrap:wrap;gap:6px';
    fileRow.append(this.downloadButton, configButton);

    this.command = el('code', { 'data-control': 'convergence-cli' });
    const pre = el('pre');
    pre.style.cssText = 'white-space:pre-wrap;overflow-wrap:anywhere;user-select:all;margin:4px 0;padding:6px;border-radius:4px;background:rgb(127 127 127 / 0.15)';
    pre.append(this.command);
    this.sizeHint = el('p');

    const body = el('div');
    body.style.cssText = 'display:flex;flex-direction:column;gap:8px;min-width:0';
    body.append(this.intro, integrators, stepsField, ...(this.tolsInput ? [field('Adaptive tolerances', this.tolsInput)] : []), runRow, this.statusText, charts, fileRow, el('p', {}, 'The same study from the command line (with the downloaded config):'), pre, this.sizeHint);
    this.root.append(summary, body);
    parent.appendChild(this.root);
    this.refreshCommand();
  }

  /** The page's config now (a new run, a λ change, an edit): the command line and the result's staleness follow. */
  setConfig(config: ScoreMixingConfig): void {
    this.config = config;
    this.refreshCommand();
    this.refreshResult();
  }

  /** The state tests and the page read (also data-state on the panel). */
  get state(): StudyState {
    return this.root.dataset.state as StudyState;
  }

  /** While a study runs: a sentence for the shell's aria-live summary ("convergence study 40% done"). */
  progressSentence(): string | undefined {
    return this.running ? `convergence study ${Math.round(this.fraction * 100)}% done` : undefined;
  }

  /** The panel's charts once a study has filled them (the page's chart export). */
  chartSvgs(): { name: string; svg: string }[] {
    if (!this.result) return [];
    return [
      { name: 'convergence-error', svg: this.errorChart.svgText() },
      { name: 'convergence-init-error', svg: this.initChart.svgText() },
      ...(this.workChart.visible ? [{ name: 'convergence-work', svg: this.workChart.svgText() }] : []),
    ];
  }

  dispose(): void {
    this.disposed = true;
    this.errorChart.dispose();
    this.initChart.dispose();
    this.workChart.dispose();
    this.root.remove();
  }

  // ---- running -------------------------------------------------------------------------------

  /** Runs the study for the page's config and the panel's choices (one at a time). */
  async run(): Promise<void> {
    if (this.running || !this.config) return;
    const gpu = this.page.gpu();
    const backend = backendOf(gpu);
    const cap = gpu ? GPU_STUDY_PARTICLES : CPU_STUDY_PARTICLES;
    const config = reduceParticles(this.config, cap);
    let request: ConvergenceRequest;
    try {
      request = this.request();
      this.page.host.checkMemory(config);
    } catch (e) {
      this.fail(e);
      return;
    }
    this.running = true;
    this.fraction = 0;
    this.runButton.disabled = true;
    this.progress.hidden = false;
    this.progress.value = 0;
    this.setState('running');
    const where = gpu ? 'on the GPU (float32)' : 'on the CPU float64 reference';
    this.statusText.textContent = `Running: ${request.integrators.join(', ')} at ${request.resolutions.length} step counts, ${describeStudyConfig(config)}, ${where}…`;
    this.page.host.notify({ level: 'info', key: NOTICE_KEY, text: `Convergence study started ${where} (${describeStudyConfig(config)}).` });
    const stopFlushing = gpu ? keepFlushing(gpu) : () => undefined;
    let snapshot: Snapshot;
    try {
      snapshot = await this.study.run(config, request, {
        gpu,
        backend,
        onProgress: (f) => {
          this.fraction = f;
          this.progress.value = f;
        },
      });
    } catch (e) {
      this.settle(stopFlushing);
      if (!this.disposed) this.fail(e);
      return;
    }
    this.settle(stopFlushing);
    if (this.disposed) return;
    try {
      // The key runConvergence fills in for the CLI: here, why the page runs where it does.
      snapshot.meta.backendNote = this.page.backendNote();
      studyRows(snapshot); // a snapshot without the study's arrays fails here, not in the chart
      this.result = { snapshot, config, cap };
      this.errorChart.show(snapshot);
      this.initChart.show(snapshot);
      this.workChart.show(snapshot);
      this.downloadButton.disabled = false;
      this.refreshResult();
      this.page.host.notify({ level: 'info', key: NOTICE_KEY, text: `Convergence study done: ${this.orders()}.` });
    } catch (e) {
      this.fail(e);
    }
  }

  /** The study has ended (either way): the button, the progress bar and the flushing with it. */
  private settle(stopFlushing: () => void): void {
    stopFlushing();
    this.running = false;
    this.runButton.disabled = false;
    this.progress.hidden = true;
  }

  /** The request of the panel's inputs; FieldErrors name the panel's field. */
  private request(): ConvergenceRequest {
    const picked = new Set([...this.picks].filter(([, box]) => box.checked).map(([name]) => name));
    const tolerances = this.tolsInput && picked.has('adaptive') ? parseTolerances(this.tolsInput.value) : undefined;
    return {
      integrators: pickedIntegrators(this.study.integrators, picked),
      resolutions: parseStepCounts(this.stepsInput.value),
      ...(tolerances ? { tolerances } : {}),
    };
  }

  private fail(e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.setState('error');
    this.statusText.textContent = `The study stopped: ${message}`;
    this.page.host.notify({ level: 'error', key: NOTICE_KEY, text: `Convergence study: ${message}` });
    if (this.result) this.refreshResult(false);
  }

  private orders(): string {
    if (!this.result) return '';
    return studyRows(this.result.snapshot)
      .rows.map((r) => orderLabel(r.name, r.order))
      .join('; ');
  }

  // ---- showing -------------------------------------------------------------------------------

  private setState(state: StudyState): void {
    this.root.dataset.state = state;
  }

  /** The caption and the stale marks of the result against the page's config now. */
  private refreshResult(updateState = true): void {
    const r = this.result;
    if (!r) return;
    const current = this.config ? reduceParticles(this.config, r.cap) : null;
    const { text, stale } = resultCaption(r.config, current);
    this.errorChart.setStale(stale);
    this.initChart.setStale(stale);
    this.workChart.setStale(stale);
    // While a new study runs its "Running" line and state stay; the caption comes when it ends.
    if (updateState && !this.running) {
      this.statusText.textContent = `${text}. ${this.orders()}.`;
      this.setState(stale ? 'stale' : 'done');
    }
  }

  /** The intro, the command line and the full-size hint for what "Run study" would run now. */
  private refreshCommand(): void {
    const gpu = this.page.gpu();
    const cap = gpu ? GPU_STUDY_PARTICLES : CPU_STUDY_PARTICLES;
    const cfg = this.config;
    const reduced = cfg ? reduceParticles(cfg, cap) : null;
    this.intro.textContent =
      `Runs the page’s config with ${cfg && reduced ? `${particleCount(reduced)} of its ${particleCount(cfg)} particles` : `at most ${cap} particles`} ` +
      `${gpu ? 'on the GPU in float32' : 'on the CPU float64 reference'} at each step count, from the same start, and compares each integrator’s ` +
      'endpoints with a fine float64 reference (RMS error); plus the error of starting from a Gaussian at T instead of u_T, against T.';
    let request: ConvergenceRequest;
    try {
      request = this.request();
    } catch (e) {
      this.command.textContent = `(${e instanceof Error ? e.message : String(e)})`;
      return;
    }
    this.command.textContent = cliCommand(request, backendOf(gpu));
    this.sizeHint.textContent = cfg && reduced ? fullSizeHint(cfg, reduced) : '';
  }

  private downloadStudy(): void {
    if (!this.result) return;
    const parts = exportSnapshotParts(this.result.snapshot, 'npz');
    saveBlob('score-mixing-convergence.npz', new Blob(parts as BlobPart[], { type: MIME_TYPES.npz }));
  }

  private downloadConfig(): void {
    if (!this.config) return;
    const reduced = reduceParticles(this.config, this.page.gpu() ? GPU_STUDY_PARTICLES : CPU_STUDY_PARTICLES);
    saveBlob(STUDY_CONFIG_FILE, new Blob([JSON.stringify(reduced, null, 2) + '\n'], { type: 'application/json' }));
  }
}
