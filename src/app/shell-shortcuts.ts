// The shell's keyboard shortcuts, in the order the "?" dialog lists them. Each one does what its
// button does (run-actions.ts, the export menu, the HUD, the panel's collapse).

import type { ExportMenu } from './export-menu';
import type { ShellExports } from './export-actions';
import type { Hud } from './hud';
import type { RunActions } from './run-actions';
import { Shortcuts } from './shortcuts';

export interface ShortcutTargets {
  run: RunActions;
  exportMenu: ExportMenu;
  exports: ShellExports;
  hud: Hud;
  /** The side column (parameter panel and charts); 'collapsed' hides it. */
  side: HTMLElement;
}

export function shellShortcuts({ run, exportMenu, exports, hud, side }: ShortcutTargets): Shortcuts {
  const shortcuts = new Shortcuts([
    { keys: [' '], label: 'Space', description: 'Play / pause', run: () => run.playPause() },
    { keys: ['.', 'ArrowRight'], label: '. or →', description: 'Single step (pauses)', run: () => run.step() },
    { keys: ['r', 'R'], label: 'R', description: 'Reset the run to t = T', run: () => void run.reset() },
    { keys: ['+', '='], label: '+', description: 'Faster (a shorter time to the end, or more steps per frame)', run: () => run.nudgeSpeed(1) },
    { keys: ['-', '_'], label: '−', description: 'Slower', run: () => run.nudgeSpeed(-1) },
    { keys: ['e', 'E'], label: 'E', description: 'Export / import menu', run: () => exportMenu.toggle() },
    { keys: ['p', 'P'], label: 'P', description: 'Save the view (canvas + overlay) as PNG', run: () => exports.png() },
    { keys: ['h', 'H'], label: 'H', description: 'Show / hide the HUD', run: () => hud.toggle() },
    { keys: ['g', 'G'], label: 'G', description: 'Show / hide the parameter panel', run: () => side.classList.toggle('collapsed') },
    { keys: ['?'], label: '?', description: 'This list', run: () => shortcuts.showHelp() },
  ]);
  return shortcuts;
}
