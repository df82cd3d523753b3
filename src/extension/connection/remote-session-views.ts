import type Anthropic from '@anthropic-ai/sdk';
import { Environment, hangarSettings, SessionEvent, type Session } from '../../wire';
import { sessionWorkspacePath } from '../../wire/session-repository';
import { parseWire as parse, type RemoteCall } from './remote-call';
import type { SessionView } from './runtime-client';

// A detached runtime's session as the tree and the panel show it: the session, its latest status events (why it
// stopped, its last error) and its environment's sandbox kind, each environment read once.

const RECENT_TYPES = ['session.status_idle', 'session.status_running', 'session.error'] as const;

export class RemoteSessionViews {
  private readonly environments = new Map<string, Promise<Environment | null>>();

  constructor(
    private readonly sdk: Anthropic,
    private readonly call: RemoteCall,
  ) {}

  async viewOf(s: Session): Promise<SessionView> {
    const [recent, env] = await Promise.all([
      this.call(() => this.sdk.beta.sessions.events.list(s.id, { limit: 3, order: 'desc', types: [...RECENT_TYPES] })),
      this.environment(s.environment_id),
    ]);
    const latest = recent.data.map((e) => parse(SessionEvent, e, 'an event'));
    const idle = latest.find((e) => e.type === 'session.status_idle');
    const lastRun = latest.findIndex((e) => e.type === 'session.status_running');
    const error = latest.slice(0, lastRun === -1 ? undefined : lastRun).find((e) => e.type === 'session.error');
    const stopReason = idle?.type === 'session.status_idle' ? idle.stop_reason : null;
    const settings = env ? hangarSettings(env.metadata) : undefined;
    return {
      id: s.id,
      title: s.title ?? s.id,
      status: s.status,
      stopReason,
      needsAction: s.status === 'idle' && stopReason?.type === 'requires_action',
      activeSeconds: s.stats.active_seconds ?? 0,
      costCents: s.usage.list_cost ? Number(s.usage.list_cost.amount) * 100 : 0,
      costEstimated: false,
      createdAt: s.created_at,
      agentName: s.agent.name,
      repo: sessionWorkspacePath(s.resources) ?? null,
      sandbox: settings?.ok ? (settings.settings.provider ?? 'local') : 'local',
      lastError: error?.type === 'session.error' ? error.error.message : null,
    };
  }

  /** A session's environment (for its sandbox kind), read once; null when it is gone. */
  private environment(id: string): Promise<Environment | null> {
    let env = this.environments.get(id);
    if (!env) {
      env = this.call(() => this.sdk.beta.environments.retrieve(id)).then((e) => parse(Environment, e, 'an environment'), () => null);
      this.environments.set(id, env);
    }
    return env;
  }
}
