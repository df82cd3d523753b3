import type { PanelToolRef } from '../../src/protocol/panel';
import { iconButton } from '../render/icons';
import { h } from './dom';

/** One allowed tool as the panel shows it: the coordinator's, or (with `thread`) a sub-agent's, named by `agent`. */
export interface Allowance {
  tool: PanelToolRef;
  thread?: string;
  agent?: string;
}

// The tools the user allowed for the rest of the session, above the input box, each with a way to take it back.
// The host sends the lists (the session's agent tools against the agent's own, and each sub-agent's against its
// roster agent's); the panel shows the tab's own, and on the coordinator's tab the sub-agents' too, named. A revoke is
// a request the host answers, and the lists come back changed.
export class AllowancesView {
  readonly el: HTMLElement;
  private shown = '';

  constructor(private readonly doc: Document, private readonly revoke: (tool: PanelToolRef, thread?: string) => void) {
    this.el = h(doc, 'section', { class: 'allowances', attrs: { 'aria-label': 'Tools allowed for this session' } });
    this.el.hidden = true;
  }

  /** `subAgent`: the sub-agent whose tab is shown (its allowances only); absent on the coordinator's tab. */
  update(allowances: readonly Allowance[], subAgent?: string): void {
    const key = JSON.stringify([allowances, subAgent]);
    if (key === this.shown) return;
    this.shown = key;
    const { doc } = this;
    this.el.replaceChildren(
      h(doc, 'span', { class: 'allowances-label', text: subAgent ? `Allowed for sub-agent ${subAgent} this session:` : 'Allowed for this session:' }),
      ...allowances.map(({ tool, thread, agent }) => {
        const name = tool.mcp_server_name ? `${tool.mcp_server_name}/${tool.name}` : tool.name;
        // On the coordinator's tab a sub-agent's allowance names its agent; on the sub-agent's own tab it need not.
        const whose = agent && !subAgent ? ` (sub-agent ${agent})` : '';
        const revoke = iconButton(doc, 'close', `Revoke: ask again before ${name}${whose}`, () => this.revoke(tool, thread), 'revoke');
        revoke.title = `Ask again before each ${name} call${whose}`;
        const label = agent && !subAgent ? [h(doc, 'span', { class: 'allowance-agent', text: `${agent}:` })] : [];
        return h(doc, 'span', { class: 'allowance', attrs: { 'data-tool': name, ...(thread ? { 'data-thread': thread } : {}) } }, [...label, h(doc, 'code', { text: name }), revoke]);
      }),
    );
    this.el.hidden = allowances.length === 0;
  }
}
