// Entry point of the page (index.html). Builds the layout and starts the shell.

import './style.css';
import { LABS } from '../labs/registry';
import { App } from './app';
import { Layout } from './layout';
import { installTestHook } from './test-hook';

const root = document.getElementById('app');
if (!root) throw new Error('index.html needs <div id="app">');
const app = new App(LABS, new Layout(root));
installTestHook(app);
app.start().catch((e: unknown) => {
  console.error(e);
  app.notices.error(e, 'Flowlab could not start');
});
