// A lost GPU device (GpuSession has already asked for a replacement): pause, say so, hand the page
// the new device — or null, and the page goes on with its CPU reference where it has one — then
// play on if the run was playing. The page rebuilds its GPU objects from the last state it holds
// (status().savedStep); the notice says at which step the run continues and how many were redone.

import type { GpuContext } from '../gpu/device';
import type { CurrentLab } from './current-lab';
import type { ShellParts } from './shell-parts';

export async function recoverFromDeviceLoss(shell: ShellParts, current: CurrentLab, message: string, gpu: GpuContext | null): Promise<void> {
  const { loop, notices } = shell;
  const page = current.page;
  const wasPlaying = loop.playing;
  loop.playing = false;
  const close = notices.show(
    { level: 'warn', text: `The GPU device was lost (${message}). Recovering…` },
    { sticky: true, key: 'device-lost' },
  );
  if (!page) return;
  // Steps counted since the device died did nothing: the page continues from the last state it
  // holds, so everything after it is redone (and said so).
  let lostAt = 0;
  try {
    await current.enqueue(() =>
      loop.hold(() => {
        lostAt = page.status().step;
        return page.deviceRestored(gpu);
      }),
    );
  } catch (e) {
    close();
    notices.error(e, 'Recovering from the lost GPU device failed; reload the page');
    return;
  }
  close();
  const at = page.status().step;
  const redone = Math.max(0, lostAt - at);
  const where = `at step ${at} (${redone} step${redone === 1 ? '' : 's'} redone)`;
  notices.show(
    {
      level: gpu ? 'info' : 'warn',
      text: gpu
        ? `GPU device lost (${message}) and restored on a new device ${where}; the run continues from there.`
        : `GPU device lost (${message}) and no new one could be acquired; continuing on the CPU where the lab supports it, ${where}.`,
    },
    { sticky: !gpu, key: 'device-restored' },
  );
  loop.playing = wasPlaying;
}
