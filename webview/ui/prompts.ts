import type { PanelToolRef } from '../../src/protocol/panel';
import type { ToolItem } from '../model/items';
import { summarizeToolInput } from '../../src/format/tool-input';
import { button, h } from './dom';

export interface PromptHandlers {
  confirm(toolUseId: string, result: 'allow' | 'deny', denyMessage?: string): void;
  /** Allow this call and every later call of its tool in this session. */
  allowForSession(toolUseId: string, tool: PanelToolRef): void;
  customResult(customToolUseId: string, text: string, isError: boolean): void;
}

// Questions the session waits on, kept above the input box (not in the windowed stream, so they never scroll out
// of the DOM): Allow / Allow for this session / Deny with an optional reason for tools that ask, a text answer for
// custom tools.
export class PromptsView {
  readonly el: HTMLElement;
  private shown = '';

  constructor(private readonly doc: Document, private readonly on: PromptHandlers) {
    this.el = h(doc, 'section', { class: 'prompts', attrs: { 'aria-label': 'Waiting for you', 'aria-live': 'polite' } });
    this.el.hidden = true;
  }

  /**
   * Rebuilds only when the set of questions changed, so a half-typed reason is not wiped by unrelated events.
   * `agentOf` names the sub-agent whose call it is (null: the session's own agent), since every thread's questions
   * show here whichever tab is open.
   */
  update(items: readonly ToolItem[], agentOf: (item: ToolItem) => string | null = () => null): void {
    const ids = items.map((i) => i.key).join(',');
    if (ids === this.shown) return;
    this.shown = ids;
    this.el.replaceChildren(...items.map((i) => (i.toolKind === 'custom' ? this.custom(i) : this.permission(i, agentOf(i)))));
    this.el.hidden = items.length === 0;
  }

  private permission(item: ToolItem, agent: string | null): HTMLElement {
    const { doc } = this;
    const name = item.server ? `${item.server}/${item.name}` : item.name;
    const reason = h(doc, 'input', { class: 'prompt-reason', attrs: { type: 'text', placeholder: 'Reason (optional, sent with Deny)', 'aria-label': `Reason for denying ${name} (optional)` } });
    const answer = (result: 'allow' | 'deny') => this.on.confirm(item.key, result, result === 'deny' && reason.value.trim() ? reason.value.trim() : undefined);
    return h(doc, 'div', { class: 'prompt', attrs: { role: 'group', 'aria-label': `Permission request for ${name}${agent ? ` from sub-agent ${agent}` : ''}`, 'data-key': item.key } }, [
      h(doc, 'div', { class: 'prompt-title' }, [agent ? h(doc, 'span', { class: 'prompt-agent', text: `Sub-agent ${agent} asks: ` }) : null, 'Allow ', h(doc, 'strong', { text: name }), '?']),
      h(doc, 'code', { class: 'prompt-summary', text: summarizeToolInput(item.name, item.input).text || JSON.stringify(item.input) }),
      h(doc, 'div', { class: 'prompt-actions' }, [
        reason,
        button(doc, 'Deny', () => answer('deny'), { class: 'secondary', attrs: { 'aria-label': `Deny ${name}` } }),
        button(doc, 'Allow for this session', () => this.on.allowForSession(item.key, { name: item.name, ...(item.server ? { mcp_server_name: item.server } : {}) }), {
          class: 'secondary allow-session',
          attrs: { 'aria-label': `Allow ${name} now and for the rest of this session`, title: `Every later ${name} call in this session runs without asking (revocable)` },
        }),
        button(doc, 'Allow', () => answer('allow'), { class: 'primary', attrs: { 'aria-label': `Allow ${name}` } }),
      ]),
    ]);
  }

  private custom(item: ToolItem): HTMLElement {
    const { doc } = this;
    const text = h(doc, 'textarea', { class: 'prompt-answer', attrs: { rows: '3', 'aria-label': `Result for ${item.name}` } });
    const answer = (isError: boolean) => this.on.customResult(item.key, text.value, isError);
    return h(doc, 'div', { class: 'prompt', attrs: { role: 'group', 'aria-label': `Custom tool ${item.name} needs a result`, 'data-key': item.key } }, [
      h(doc, 'div', { class: 'prompt-title' }, ['Custom tool ', h(doc, 'strong', { text: item.name }), ' needs a result']),
      h(doc, 'pre', { class: 'prompt-summary', text: JSON.stringify(item.input, null, 2) }),
      text,
      h(doc, 'div', { class: 'prompt-actions' }, [
        button(doc, 'Send as error', () => answer(true), { class: 'secondary' }),
        button(doc, 'Send result', () => answer(false), { class: 'primary' }),
      ]),
    ]);
  }
}
