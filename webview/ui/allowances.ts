import type { PanelToolRef } from '../../src/protocol/panel';
import { iconButton } from '../render/icons';
import { h } from './dom';

// The tools the user allowed for the rest of the session, above the input box, each with a way to take it back.
// The host sends the list (it is the session's agent tools against the agent's own); a revoke is a request the host
// answers, and the list comes back changed.
export class AllowancesView {
  readonly el: HTMLElement;
  private shown = '';

  constructor(private readonly doc: Document, private readonly revoke: (tool: PanelToolRef) => void) {
    this.el = h(doc, 'section', { class: 'allowances', attrs: { 'aria-label': 'Tools allowed for this session' } });
    this.el.hidden = true;
  }

  update(tools: readonly PanelToolRef[]): void {
    const key = JSON.stringify(tools);
    if (key === this.shown) return;
    this.shown = key;
    const { doc } = this;
    this.el.replaceChildren(
      h(doc, 'span', { class: 'allowances-label', text: 'Allowed for this session:' }),
      ...tools.map((tool) => {
        const name = tool.mcp_server_name ? `${tool.mcp_server_name}/${tool.name}` : tool.name;
        const revoke = iconButton(doc, 'close', `Revoke: ask again before ${name}`, () => this.revoke(tool), 'revoke');
        revoke.title = `Ask again before each ${name} call`;
        return h(doc, 'span', { class: 'allowance', attrs: { 'data-tool': name } }, [h(doc, 'code', { text: name }), revoke]);
      }),
    );
    this.el.hidden = tools.length === 0;
  }
}
