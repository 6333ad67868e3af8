import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import { captureTokenFromLocation } from './lib/auth';
import { installPerf } from './lib/perf';
import { applySavedTheme } from './lib/theme';
import { isTauri } from './lib/transport-tauri';

applySavedTheme();
installPerf();
if (!isTauri()) captureTokenFromLocation();

mount(App, { target: document.getElementById('app') as HTMLElement });
