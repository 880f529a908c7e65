// Entry point of the page (index.html). Builds the layout and starts the shell.

// lil-gui's stylesheet as a file (the Content-Security-Policy refuses the <style> it would inject),
// before the app's, which overrides it.
import 'lil-gui/dist/lil-gui.css';
import './style.css';
import { LABS } from '../labs/registry';
import { App } from './app';
import { Layout } from './layout';
import { budgetedLabs } from './memory-budget';
import { installTestHook } from './test-hook';

const root = document.getElementById('app');
if (!root) throw new Error('index.html needs <div id="app">');
// Every lab checks the page's memory budget in parseConfig: links, panel, presets and imports alike.
const app = new App(budgetedLabs(LABS), new Layout(root));
installTestHook(app);
app.start().catch((e: unknown) => {
  console.error(e);
  app.notices.error(e, 'Flowlab could not start');
});
