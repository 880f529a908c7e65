// Moves between runs that the URL records: a link (fromUrl), a preset, another lab, Back / Forward.
// Presets and lab switches push a history entry and offer an Undo (history.back), saying so when
// the setup they replace held hand-made point sets; Back / Forward reopen what the URL holds.

import { FieldError } from '../labs/schema';
import { clone, userMadeStructure } from './config-compare';
import type { CurrentLab } from './current-lab';
import type { AnyLab, ShellParts } from './shell-parts';
import { decodeConfig, describeRejected, describeVersion, encodeUrlState, hasUrlState, readUrlFields } from './url-state';

export class LabSwitching {
  constructor(
    private readonly shell: ShellParts,
    private readonly current: CurrentLab,
  ) {}

  /** Lab + config from a query string; every rejected field becomes a visible notice. */
  fromUrl(search: string): { lab: AnyLab; config: unknown } {
    const { labs, notices } = this.shell;
    if (!hasUrlState(search)) return { lab: labs[0], config: labs[0].defaultConfig() };
    const fields = readUrlFields(search);
    let lab = labs[0];
    if (fields.labId !== null) {
      const found = labs.find((l) => l.id === fields.labId);
      if (found) lab = found;
      else notices.error(new FieldError('lab', fields.labId, `one of ${labs.map((l) => JSON.stringify(l.id)).join(', ')}`), 'Link');
    }
    const decoded = decodeConfig(lab, fields);
    const { config, rejected } = decoded;
    if (decoded.unsupportedVersion !== null) notices.show({ level: 'warn', text: describeVersion(decoded) }, { sticky: true, key: 'url-version' });
    for (const e of rejected) notices.show({ level: 'error', text: describeRejected(e) }, { sticky: true });
    return { lab, config };
  }

  /** A sentence and an Undo for changes that replace what the user made. */
  private offerUndo(what: string, userMade: boolean): void {
    this.shell.notices.show(
      {
        level: 'info',
        text: userMade
          ? `${what}. Your previous setup (including edited point sets) is kept in the browser history.`
          : `${what}.`,
      },
      { actions: [{ label: 'Undo', run: () => history.back() }], key: 'undo' },
    );
  }

  async applyPreset(id: string): Promise<void> {
    const lab = this.current.lab;
    const preset = lab.presets.find((p) => p.id === id);
    if (!preset) return;
    const userMade = userMadeStructure(lab, this.current.config);
    this.shell.loop.playing = false;
    if (await this.current.applyConfig(clone(preset.config), { push: true })) this.offerUndo(`Preset “${preset.title}” applied`, userMade);
  }

  switchLab(id: string): Promise<void> {
    return this.current.enqueue(() => this.doSwitchLab(id));
  }

  private async doSwitchLab(id: string): Promise<void> {
    const lab = this.shell.labs.find((l) => l.id === id);
    if (!lab || lab === this.current.lab || !lab.loadPage) return;
    const userMade = userMadeStructure(this.current.lab, this.current.config);
    await this.current.openLab(lab, lab.defaultConfig());
    this.shell.url.push(encodeUrlState(this.current.lab, this.current.config));
    this.offerUndo(`Switched to ${lab.title}`, userMade);
  }

  /** Back / forward: the URL is the state. */
  onHistory(search: string): Promise<unknown> {
    const { lab, config } = this.fromUrl(search);
    const current = this.current;
    return current.enqueue<unknown>(() => (lab !== current.lab ? current.openLab(lab, config) : current.doApply(config, { fromHistory: true })));
  }
}
