// The parts of the page shell that its modules share, built once by App (app.ts): the labs, the
// layout, the notices, the frame loop, the GPU session, the header's run controls, the URL glue and
// the halt banner. Each module (current-lab.ts, run-actions.ts, lab-switching.ts,
// export-actions.ts, device-loss.ts) takes this one object rather than a long parameter list.

import type { LabDefinition, LabPage } from '../labs/lab';
import type { FrameLoop } from './frame-loop';
import type { GpuSession } from './gpu-session';
import type { HaltBanner } from './halt-banner';
import type { Layout } from './layout';
import type { NoticeArea } from './notices';
import type { RunControls } from './run-controls';
import type { UrlSync } from './url-sync';

export type AnyLab = LabDefinition<any>;
export type AnyPage = LabPage<unknown>;

export interface ShellParts {
  readonly labs: readonly AnyLab[];
  readonly layout: Layout;
  readonly notices: NoticeArea;
  readonly loop: FrameLoop;
  readonly session: GpuSession;
  readonly controls: RunControls;
  readonly url: UrlSync;
  readonly halt: HaltBanner;
}
