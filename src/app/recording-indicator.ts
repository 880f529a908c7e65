// The header's sign that a video is being recorded: a red dot with the elapsed time, beside the
// Export button, shown only while recording, and a polite live region that announces "Recording
// started" / "Recording stopped" to screen readers (the ticking time itself is not announced).

import { h } from './dom';
import type { VideoRecording } from './stage-recorder';

function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export class RecordingIndicator {
  /** The visible dot and time (hidden when not recording). */
  readonly el: HTMLElement;
  /** Screen-reader announcements of start and stop. */
  readonly live: HTMLElement;
  private readonly time: HTMLElement;
  private timer = 0;

  constructor(private readonly recording: VideoRecording) {
    this.time = h('span', { class: 'rec-time' }, '0:00');
    this.el = h(
      'span',
      { class: 'rec-indicator', hidden: true, title: 'Recording a video of the stage (Export ▸ Stop recording saves it)', 'data-testid': 'recording-indicator' },
      h('span', { class: 'rec-dot', 'aria-hidden': 'true' }),
      h('span', { class: 'visually-hidden' }, 'Recording '),
      this.time,
    );
    this.live = h('span', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite', 'data-testid': 'recording-status' });
    recording.onChange(() => this.update());
  }

  private update(): void {
    const started = this.recording.startedAt;
    window.clearInterval(this.timer);
    this.timer = 0;
    this.el.hidden = started === null;
    this.live.textContent = started === null ? 'Recording stopped' : 'Recording started';
    if (started === null) return;
    const tick = (): void => {
      this.time.textContent = formatElapsed(performance.now() - started);
    };
    tick();
    this.timer = window.setInterval(tick, 500);
  }
}
