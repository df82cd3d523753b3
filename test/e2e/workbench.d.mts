// Types of workbench.mjs for the TypeScript drivers that reuse it (test/bench/extension-host.bench.ts).
import type { Browser, BrowserContext, BrowserType, Page } from 'playwright-core';

export const root: string;
export const serverMain: string;
export const codeServerEntry: string;
export const chromiumPath: string;
export const MATH_JS: string;

export function logger(tag: string): { log(message: string): void; fail(message: string): never };
export function requireTools(tag: string): Promise<BrowserType>;
export function buildBundles(tag: string): void;
export function bundleEntry(entry: string, outfile: string, format?: 'cjs' | 'esm'): Promise<string>;
export function makeWorkspace(dir: string): void;
export function freePort(): Promise<number>;

export interface StartedServer {
  proc: import('node:child_process').ChildProcess;
  output(): string;
  exited(): boolean;
  waitForHttp(url: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}
export function startServer(args: string[], env?: Record<string, string>): StartedServer;
export function launchBrowser(chromium: BrowserType): Promise<Browser>;
export function openLoggedPage(context: BrowserContext, scratch: string): Promise<Page>;
export function removeSandboxes(scratch: string): void;
export function finishRun(run: { browser: Browser | undefined; server: StartedServer; scratch: string; keep: boolean; code: number; log: (message: string) => void; closeExtras?: () => Promise<unknown> }): Promise<number>;
export function scratchTmp(scratch: string): void;
export function sandboxesLeft(scratch: string, log: (message: string) => void): boolean;
