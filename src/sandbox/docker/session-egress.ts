import type { SandboxEgress } from '../types';
import type { Container, Docker } from './client';
import { bindContainer, planEgress, withoutProxyEnv } from './egress';
import { writeState, type ContainerSettings, type SessionState } from './state';
import { SessionTunnels } from './tunnel';

// The provider's hookup of sessions' containers to the egress proxy (egress.ts has the container side): the proxy is
// told whose a networked container is, and a session's stored proxy settings follow the proxy when it moves.

export class SessionEgress {
  private egress: SandboxEgress | null = null;
  private readonly tunnels = new SessionTunnels();

  constructor(private readonly root: string) {}

  /** The proxy new plans point their containers at (null: none configured yet). */
  get proxy(): SandboxEgress | null {
    return this.egress;
  }

  use(egress: SandboxEgress): void {
    this.egress = egress;
  }

  /**
   * Tells the proxy which session a networked container belongs to: its address on the sandbox network, or, on a
   * remote engine, the tunnel into it that carries its connections (tunnel.ts).
   */
  async bind(sessionId: string, container: Container, settings: ContainerSettings): Promise<void> {
    if (this.egress && settings.tunnel) await this.tunnels.start(this.egress, sessionId, container);
    else if (this.egress && settings.networkMode !== 'none') await bindContainer(this.egress, sessionId, container, settings.networkMode);
  }

  /** Points a session's settings at the proxy as it listens now; true when that changed them. */
  async refresh(docker: Docker, state: SessionState, onProgress?: (m: string) => void): Promise<boolean> {
    if (state.settings.networkMode === 'none') return false;
    const plan = await planEgress(docker, state.settings.networkMode, this.egress, onProgress);
    const env = [...withoutProxyEnv(state.settings.env), ...plan.env];
    const before = new Set(state.settings.env);
    if (env.length === before.size && env.every((e) => before.has(e)) && plan.caCert?.pem === state.settings.caCert?.pem) return false;
    state.settings = { ...state.settings, env, caCert: plan.caCert };
    await writeState(this.root, state);
    return true;
  }

  /** The session's container is gone: the proxy forgets it and its tunnel closes. */
  unbind(sessionId: string): void {
    this.egress?.unbind(sessionId);
    this.tunnels.close(sessionId);
  }

  /** Closes every tunnel (the provider disconnects; the proxy keeps its bindings for a later reattach). */
  closeTunnels(): void {
    this.tunnels.closeAll();
  }
}
