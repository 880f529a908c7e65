// window.__flowlab: a small, stable surface for the end-to-end tests (and curious users in the
// console). Read-only views of the run plus the same actions the buttons trigger.

import { setPathSafe } from '../io/input';
import type { App } from './app';

export interface FlowlabTestHook {
  ready: boolean;
  whenReady(): Promise<void>;
  status(): ReturnType<App['status']>;
  config(): unknown;
  /** The page's key-metric sentence (LabPage.summary), what the aria-live region announces. */
  summary(): string | undefined;
  lab(): string;
  backend(): string;
  adapter(): string;
  playing(): boolean;
  frames(): number;
  notices(): { level: string; text: string }[];
  play(): void;
  pause(): void;
  step(): void;
  reset(): Promise<void>;
  /** Snapped to the nearest SPEEDS entry, as the header select shows it. */
  setSpeed(stepsPerFrame: number): void;
  /** Steps per frame the loop runs at (a SPEEDS entry). */
  speed(): number;
  /** Pace by wall-clock time: the whole run in `seconds`, as the speed select's "end in" entries. */
  setDuration(seconds: number): void;
  /** Seconds to the end the loop paces by, or null when it runs a fixed number of steps per frame. */
  duration(): number | null;
  /** Apply one parameter as the panel would; resolves false when it was rejected. */
  setParam(key: string, value: number | string | boolean): Promise<boolean>;
  /** The page's snapshot arrays as plain number lists (small runs only). */
  snapshot(): Promise<Record<string, number[]>>;
  /** The page's charts as SVG text (what the export menu saves). */
  charts(): { name: string; svg: string }[];
  /** Simulate a GPU device loss (the device is destroyed; the shell must recover). */
  loseDevice(): void;
  /** What the next "Self-test" runs do: perturb one kernel's output (its check must fail), test only some labs. */
  setSelfTestRequest(request: { perturb?: string; labs?: string[] }): void;
}

declare global {
  interface Window {
    __flowlab?: FlowlabTestHook;
  }
}

export function installTestHook(app: App): void {
  const hook: FlowlabTestHook = {
    ready: false,
    whenReady: () => app.ready,
    status: () => app.status(),
    config: () => app.config,
    summary: () => app.page?.summary?.(),
    lab: () => app.lab.id,
    backend: () => app.session.backend,
    adapter: () => app.session.adapter,
    playing: () => app.loop.playing,
    frames: () => app.loop.frames,
    notices: () => app.notices.log.map((n) => ({ ...n })),
    play: () => {
      if (!app.loop.playing) app.playPause();
    },
    pause: () => {
      app.loop.playing = false;
    },
    step: () => app.step(),
    reset: () => app.reset(),
    setSpeed: (s) => app.setSpeed(s),
    speed: () => app.loop.speed,
    setDuration: (seconds) => app.setDuration(seconds),
    duration: () => app.loop.duration,
    setParam: (key, value) => {
      const next = structuredClone(app.config) as Record<string, unknown>;
      try {
        setPathSafe(next, key, value); // __proto__, constructor, prototype refused (FieldError)
      } catch (e) {
        app.notices.error(e, 'Rejected (kept the previous value)', { key: 'config-rejected' });
        return Promise.resolve(false);
      }
      return app.applyConfig(next);
    },
    snapshot: async () => {
      const s = await app.page!.snapshot();
      return Object.fromEntries(Object.entries(s.arrays).map(([k, a]) => [k, Array.from(a.data as ArrayLike<number>)]));
    },
    charts: () => app.page?.chartSvgs() ?? [],
    loseDevice: () => app.session.simulateLoss(),
    setSelfTestRequest: (request) => {
      app.selfTest.request = { ...request };
    },
  };
  window.__flowlab = hook;
  void app.ready.then(() => (hook.ready = true));
}
