// The app version written into every snapshot's meta (from package.json, inlined by Vite).
import { version } from '../../package.json';

export const APP_VERSION: string = version;
