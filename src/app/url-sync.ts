// Browser glue for url-state.ts. Ordinary edits replace the current history entry (debounced, so
// dragging a slider does not flood the history); switching lab, applying a preset or importing a
// snapshot pushes a new entry, so the previous run — including hand-edited point sets — is one
// Back away and nothing the user made is lost silently.

export class UrlSync {
  private timer = 0;
  private pending: string | null = null;
  /** Kept on every URL written (e.g. "view=embed": the page's view mode is not part of the config). */
  suffix = '';

  constructor(onPop: (search: string) => void) {
    window.addEventListener('popstate', () => {
      this.pending = null;
      onPop(location.search);
    });
  }

  /** Replace the current entry with `query` (without '?'), debounced. */
  replace(query: string): void {
    this.pending = this.withSuffix(query);
    clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.flush(), 200);
  }

  /** Write a pending replace now. */
  flush(): void {
    clearTimeout(this.timer);
    if (this.pending === null) return;
    const q = this.pending;
    this.pending = null;
    if (location.search.slice(1) !== q) history.replaceState(null, '', `${location.pathname}?${q}${location.hash}`);
  }

  /** Keep the current entry (flushed) and add a new one for `query`. */
  push(query: string): void {
    this.flush();
    query = this.withSuffix(query);
    if (location.search.slice(1) !== query) history.pushState(null, '', `${location.pathname}?${query}${location.hash}`);
  }

  private withSuffix(query: string): string {
    return this.suffix ? `${query}&${this.suffix}` : query;
  }

  get href(): string {
    return this.pending !== null ? `${location.origin}${location.pathname}?${this.pending}${location.hash}` : location.href;
  }
}
