// What the page says when WebGPU is not available: why, what to enable, and that the lab keeps
// running on the CPU (float64 reference at a reduced particle count).

import { h } from './dom';

export function webGpuMissingCard(reason: string, onDismiss: () => void): HTMLElement {
  const card = h(
    'section',
    { class: 'webgpu-missing', role: 'alert', 'aria-labelledby': 'webgpu-missing-title' },
    h('h2', { id: 'webgpu-missing-title' }, 'WebGPU is not available'),
    h('p', { class: 'why' }, reason),
    h('p', {}, 'Flowlab keeps running: the simulation below uses the float64 CPU reference at a reduced particle count. It is exact but slower, and GPU timings are not shown.'),
    h(
      'details',
      {},
      h('summary', {}, 'How to enable WebGPU'),
      h(
        'ul',
        {},
        h('li', {}, 'Chrome / Edge 113+ on Windows, macOS, ChromeOS and Android: WebGPU is on by default. Check ', h('code', {}, 'chrome://gpu'), ' for "WebGPU: Hardware accelerated".'),
        h('li', {}, 'Chrome on Linux: enable ', h('code', {}, 'chrome://flags/#enable-unsafe-webgpu'), ' and ', h('code', {}, 'chrome://flags/#enable-vulkan'), ', then restart.'),
        h('li', {}, 'Safari 26+ (macOS, iOS): on by default; older Safari: Develop → Feature Flags → WebGPU.'),
        h('li', {}, 'Firefox 141+ on Windows: on by default; elsewhere set ', h('code', {}, 'dom.webgpu.enabled'), ' in about:config.'),
        h('li', {}, 'Open the page over https or from localhost: WebGPU needs a secure context.'),
      ),
    ),
    h('button', { type: 'button', class: 'primary', onclick: () => { card.remove(); onDismiss(); } }, 'Continue on the CPU'),
  );
  return card;
}
