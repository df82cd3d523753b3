import * as vscode from 'vscode';
import { startApiServer, type ApiServer } from '../api';
import type { RuntimeHost } from './runtime-host';

// The local Managed Agents API served from this window's runtime (same storage as the sidebar), so scripts and the
// official SDK drive the sessions the user sees. Loopback only, token-protected (src/api). A runtime restart (new
// sandbox settings, a simulated reload) moves the server to the new runtime on the same port.

export interface ApiServerInfo {
  url: string;
  port: number;
  /** The 0600 file holding the token (the token itself is never shown in a notification or log). */
  tokenFile: string | null;
}

export class ApiServerManager implements vscode.Disposable {
  private server: ApiServer | undefined;
  private starting: Promise<ApiServer> | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly host: RuntimeHost,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscription = host.onDidStart(() => void this.follow());
  }

  get running(): ApiServerInfo | undefined {
    return this.server ? info(this.server) : undefined;
  }

  /** The token of the running server (for the clipboard). */
  token(): string | undefined {
    return this.server?.token;
  }

  /** Starts the server (or returns the running one); port 0 picks a free port. */
  async start(port: number): Promise<ApiServerInfo> {
    if (this.server) return info(this.server);
    this.starting ??= this.open(port).finally(() => (this.starting = undefined));
    return info(await this.starting);
  }

  async stop(): Promise<boolean> {
    const s = this.server ?? (await this.starting?.catch(() => undefined));
    this.server = undefined;
    if (!s) return false;
    await s.close();
    this.log.info(`local API server on ${s.url} stopped`);
    await this.announce(false);
    return true;
  }

  private async open(port: number): Promise<ApiServer> {
    const server = await startApiServer({
      runtime: this.host.runtime,
      host: '127.0.0.1',
      port,
      onError: (err, requestId) => this.log.error(`local API ${requestId}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
    });
    this.server = server;
    this.log.info(`local API server listening on ${server.url} (token in ${server.tokenFile ?? 'memory'})`);
    await this.announce(true);
    return server;
  }

  /** The runtime was replaced: serve the new one on the same port, so clients only reconnect. */
  private async follow(): Promise<void> {
    const old = this.server;
    if (!old) return;
    this.server = undefined;
    await old.close();
    try {
      await this.start(old.port);
    } catch (err) {
      this.log.error(`local API server could not move to the new runtime: ${err instanceof Error ? err.message : String(err)}`);
      await this.announce(false);
    }
  }

  private announce(running: boolean): Thenable<unknown> {
    return vscode.commands.executeCommand('setContext', 'hangar.apiServerRunning', running);
  }

  dispose(): void {
    this.subscription.dispose();
    void this.stop();
  }
}

function info(s: ApiServer): ApiServerInfo {
  return { url: s.url, port: s.port, tokenFile: s.tokenFile };
}

/** A Node snippet that drives this server with the official SDK; it reads the token from its file. */
export function sdkSnippet(s: ApiServerInfo): string {
  const apiKey = s.tokenFile ? `fs.readFileSync(${JSON.stringify(s.tokenFile)}, 'utf8').trim()` : 'process.env.HANGAR_API_TOKEN';
  return [
    "import fs from 'node:fs';",
    "import Anthropic from '@anthropic-ai/sdk';",
    '',
    `const client = new Anthropic({ baseURL: ${JSON.stringify(s.url)}, apiKey: ${apiKey} });`,
    'for await (const session of client.beta.sessions.list()) console.log(session.id, session.status, session.title);',
    '',
  ].join('\n');
}
