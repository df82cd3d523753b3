import * as z from 'zod';
import { PanelApp } from './app';
import type { VsCodeApi } from './ui/state';

declare function acquireVsCodeApi(): VsCodeApi;

// zod compiles fast validators with `new Function` unless told not to; the panel's CSP has no 'unsafe-eval', so
// the probe would only log a CSP violation. Interpreted validation is fast enough for the panel's messages.
z.config({ jitless: true });

// Entry of dist/webview.js (IIFE, loaded by the panel's HTML with a nonce). The VS Code API object stays inside
// this closure, as the webview guide recommends.
new PanelApp(document, acquireVsCodeApi()).start();
