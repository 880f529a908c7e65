// The app shell: builds the layout's parts (notices, frame loop, GPU session, run controls, export
// menu, HUD, URL glue, shortcuts) and wires them to the LabPage contract (src/labs/lab.ts) through
// the modules that own each concern:
//   current-lab.ts     the open lab, its page, config and panel; the queue of page operations
//   run-actions.ts     play / pause, step, reset, speed, and the after-frame HUD / halt update
//   lab-switching.ts   links, presets, lab switches, Back / Forward (with Undo)
//   export-actions.ts  the export menu: snapshots, PNG, chart SVGs, JSON import, copy link
//   device-loss.ts     recovering the page after a lost GPU device
//   shell-shortcuts.ts the keyboard shortcuts
// Labs never see the shell beyond ViewHost. App's public members are what main.ts and the test
// hook (test-hook.ts) use.

import type { RunStatus } from '../labs/lab';
import { CurrentLab, type ApplyOptions } from './current-lab';
import { recoverFromDeviceLoss } from './device-loss';
import { ShellExports } from './export-actions';
import { ExportMenu } from './export-menu';
import { FrameLoop } from './frame-loop';
import { GpuSession } from './gpu-session';
import { HaltBanner } from './halt-banner';
import { Hud } from './hud';
import { LabSwitching } from './lab-switching';
import type { Layout } from './layout';
import { NoticeArea } from './notices';
import { RunActions } from './run-actions';
import { RunControls } from './run-controls';
import { SelfTestPanel } from './selftest-panel';
import type { AnyLab, AnyPage, ShellParts } from './shell-parts';
import { shellShortcuts } from './shell-shortcuts';
import { FieldError } from '../labs/schema';
import { encodeUrlState, readUrlFields } from './url-state';
import { UrlSync } from './url-sync';
import { webGpuMissingCard } from './webgpu-missing';

export class App {
  readonly notices: NoticeArea;
  readonly loop: FrameLoop;
  readonly session = new GpuSession();
  /** Resolves when the first page is running (the test hook waits on it). */
  readonly ready: Promise<void>;
  private markReady!: () => void;
  private readonly shell: ShellParts;
  private readonly current: CurrentLab;
  private readonly runs: RunActions;
  private readonly switching: LabSwitching;
  /** The header's "Self-test" button and its dialog (the test hook sets its request). */
  readonly selfTest: SelfTestPanel;

  constructor(
    readonly labs: readonly AnyLab[],
    layout: Layout,
  ) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    this.notices = new NoticeArea(layout.notices);
    this.loop = new FrameLoop(
      (now) => this.runs.afterFrame(now),
      (e) => this.notices.error(e, 'The simulation stopped (reset or change a parameter to continue)'),
    );
    const controls = new RunControls({
      playPause: () => this.runs.playPause(),
      step: () => this.runs.step(),
      reset: () => void this.runs.reset(),
      speed: (s) => this.runs.setSpeed(s),
      duration: (seconds) => this.runs.setDuration(seconds),
      lab: (id) => void this.switching.switchLab(id),
      preset: (id) => void this.switching.applyPreset(id),
    });
    // While the loop is held (setConfig, restore, the self-test) no frame submits to the device: an
    // empty submit per animation frame keeps Chromium flushing it, without which an awaited
    // pipeline or readback stalled the self-test in about 1 run of 3.
    this.loop.whileHeld = () => this.session.gpu?.device.queue.submit([]);
    const url = new UrlSync((search) => void this.switching.onHistory(search));
    const halt = new HaltBanner(layout.halt, () => void this.runs.reset());
    this.shell = { labs, layout, notices: this.notices, loop: this.loop, session: this.session, controls, url, halt };
    this.current = new CurrentLab(this.shell);
    const exports = new ShellExports(this.shell, this.current);
    const exportMenu = new ExportMenu(exports);
    layout.controls.append(controls.el);
    layout.actions.prepend(exportMenu.el);
    const hud = new Hud(layout.stageBar);
    this.runs = new RunActions(this.shell, this.current, hud);
    this.switching = new LabSwitching(this.shell, this.current);
    this.selfTest = new SelfTestPanel({ labs, gpu: () => this.session.gpu, hold: (work) => this.loop.hold(work), hud });
    layout.actions.prepend(this.selfTest.button);
    const shortcuts = shellShortcuts({ run: this.runs, exportMenu, exports, hud, side: layout.side });
    layout.helpButton.addEventListener('click', () => shortcuts.showHelp());
    this.session.onLost((report) => void recoverFromDeviceLoss(this.shell, this.current, report.message, report.gpu));
    // While paused the loop redraws lazily; interaction with the view asks for prompt frames.
    const wake = (): void => this.loop.invalidate();
    for (const type of ['pointerdown', 'pointermove', 'wheel', 'input', 'change']) {
      layout.canvasWrap.addEventListener(type, wake, { passive: true });
      layout.labControls.addEventListener(type, wake, { passive: true });
      layout.charts.addEventListener(type, wake, { passive: true });
    }
  }

  async start(): Promise<void> {
    const { layout, url } = this.shell;
    const gpu = await this.session.acquire();
    if (!gpu) {
      layout.stage.prepend(webGpuMissingCard(this.session.unavailableReason ?? 'WebGPU is not available.', () => this.loop.invalidate()));
    }
    const embed = this.viewMode(readUrlFields(location.search).view);
    const { lab, config } = this.switching.fromUrl(location.search);
    this.loop.start();
    await this.current.enqueue(() => this.current.openLab(lab, config));
    url.replace(encodeUrlState(this.current.lab, this.current.config));
    url.flush();
    // Slides and iframes have no Play button: an embedded run plays (Space still pauses it),
    // unless the viewer asked for reduced motion.
    if (embed && !matchMedia('(prefers-reduced-motion: reduce)').matches) this.runs.playPause();
    this.markReady();
  }

  /** `view=embed`: canvas and charts only, kept in every URL the page writes. Another value is named in a notice. */
  private viewMode(view: string | null): boolean {
    const embed = view === 'embed';
    if (view !== null && !embed) this.notices.error(new FieldError('view', view, '"embed" (canvas and charts only) or absent'), 'Link');
    this.shell.layout.setEmbed(embed);
    this.shell.url.suffix = embed ? 'view=embed' : '';
    return embed;
  }

  get lab(): AnyLab {
    return this.current.lab;
  }

  get page(): AnyPage | null {
    return this.current.page;
  }

  get config(): unknown {
    return this.current.config;
  }

  /** Validate and apply a config (see CurrentLab.applyConfig); false when it was rejected. */
  applyConfig(next: unknown, options: ApplyOptions = {}): Promise<boolean> {
    return this.current.applyConfig(next, options);
  }

  playPause(): void {
    this.runs.playPause();
  }

  step(): void {
    this.runs.step();
  }

  reset(): Promise<void> {
    return this.runs.reset();
  }

  setSpeed(s: number): void {
    this.runs.setSpeed(s);
  }

  setDuration(seconds: number): void {
    this.runs.setDuration(seconds);
  }

  /** The latest status (null before the first page). */
  status(): RunStatus | null {
    return this.page ? this.page.status() : null;
  }
}
