import type { SessionStatus } from '../../src/wire';
import { icon } from '../render/icons';
import { button, h } from './dom';
import { MentionList } from './mentions';

export interface ComposerHandlers {
  send(text: string): void;
  interrupt(): void;
  draft(text: string): void;
}

// The input box, a multi-line textarea as in VS Code's chat: Enter sends (a steering message while the agent runs),
// Shift+Enter is a new line, Ctrl/Cmd+Enter sends too. `@` offers the repository's files (mentions.ts); the host can
// insert text (an editor selection). The Interrupt button is enabled while something runs; Escape is bound
// panel-wide by the app. With no session (the side-bar chat's empty composer) the text starts a new agent.
export class ComposerView {
  readonly el: HTMLElement;
  readonly input: HTMLTextAreaElement;
  private readonly mentions: MentionList;
  private readonly sendButton: HTMLButtonElement;
  private readonly interruptButton: HTMLButtonElement;
  private readonly hint: HTMLElement;
  private starting = false;

  constructor(doc: Document, draft: string, private readonly on: ComposerHandlers) {
    this.input = h(doc, 'textarea', { class: 'composer-input', attrs: { rows: '3', 'aria-label': 'Message to the agent' } });
    this.input.value = draft;
    this.mentions = new MentionList(doc, this.input, () => on.draft(this.input.value));
    this.input.addEventListener('input', () => on.draft(this.input.value));
    this.input.addEventListener('keydown', (e) => {
      if (e.isComposing) return;
      if (this.mentions.key(e)) {
        // The list's keys are its own: Escape closes the list, it does not interrupt the agent.
        e.preventDefault();
        e.stopPropagation();
        return;
      }
      if (e.key === 'Enter' && (!e.shiftKey || e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener('keyup', (e) => {
      // The caret moved along the text: the list follows the mention under it.
      if (e.key === 'ArrowLeft' || e.key === 'ArrowRight' || e.key === 'Home' || e.key === 'End') this.mentions.update();
    });
    this.sendButton = button(doc, 'Send', () => this.submit(), { class: 'primary', attrs: { 'aria-label': 'Send message' } });
    this.interruptButton = button(doc, ' Interrupt', () => on.interrupt(), { class: 'secondary', attrs: { 'aria-label': 'Interrupt the agent (Escape)', title: 'Interrupt (Escape)' } });
    this.interruptButton.prepend(icon(doc, 'debug-stop'));
    this.hint = h(doc, 'span', { class: 'hint', text: 'Enter to send · Shift+Enter new line · @ a file · Esc interrupts' });
    this.el = h(doc, 'form', { class: 'composer', attrs: { 'aria-label': 'Message composer' } }, [
      this.mentions.el,
      this.input,
      h(doc, 'div', { class: 'composer-actions' }, [this.hint, this.interruptButton, this.sendButton]),
    ]);
    // Focusing the view (its title, Hangar: Focus on Chat View, a keybinding) puts the caret in the box, as in VS Code's chat.
    doc.defaultView?.addEventListener('focus', () => {
      if (doc.activeElement === doc.body && !this.input.disabled) this.input.focus();
    });
    this.el.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
  }

  /**
   * `thread`: the sub-agent whose tab is shown (a message goes to that thread only; Interrupt stops that thread only,
   * while it runs; an archived thread takes no messages); null: the session's own tab, where Interrupt stops everything.
   */
  setStatus(status: SessionStatus, thread: { name: string; running: boolean; archived: boolean } | null = null): void {
    const busy = status === 'running' || status === 'rescheduling';
    this.interruptButton.disabled = thread ? !thread.running : !busy;
    const label = thread ? `Interrupt sub-agent ${thread.name} (Escape)` : 'Interrupt the agent (Escape)';
    if (this.interruptButton.getAttribute('aria-label') !== label) {
      this.interruptButton.setAttribute('aria-label', label);
      this.interruptButton.title = thread ? `Interrupt ${thread.name} only (Escape)` : 'Interrupt (Escape)';
    }
    const closed = status === 'terminated' || thread?.archived === true;
    this.input.disabled = closed;
    this.sendButton.disabled = closed;
    if (this.starting) return;
    this.input.setAttribute('aria-label', thread ? `Message to sub-agent ${thread.name}` : 'Message to the agent');
    this.sendButton.setAttribute('aria-label', thread ? `Send to sub-agent ${thread.name}` : 'Send message');
    this.input.placeholder = this.placeholder(status, busy, thread);
  }

  private placeholder(status: SessionStatus, busy: boolean, thread: { name: string; running: boolean; archived: boolean } | null): string {
    if (status === 'terminated') return 'The session has ended.';
    if (thread?.archived) return `${thread.name}'s thread is archived: it takes no more messages.`;
    if (thread) return thread.running ? `Steer ${thread.name}: sent to this sub-agent only, right away…` : `Message ${thread.name} only: it answers the coordinator too…`;
    return busy ? 'Steer the agent: this is sent right away…' : 'Message the agent… (@ to mention a file)';
  }

  /** No session yet: what is written starts an agent on the repository. */
  startMode(): void {
    this.starting = true;
    this.interruptButton.hidden = true;
    this.sendButton.textContent = 'Start';
    this.sendButton.setAttribute('aria-label', 'Start an agent with this task');
    this.input.setAttribute('aria-label', 'Task for a new agent');
    this.input.placeholder = 'Describe a task for a new agent… (@ to mention a file)';
    this.hint.textContent = 'Enter to start · Shift+Enter new line · @ a file';
  }

  get isStarting(): boolean {
    return this.starting;
  }

  /** The files `@` offers. */
  setFiles(paths: readonly string[]): void {
    this.mentions.setFiles(paths);
  }

  /** Inserts text at the caret (on a line of its own) and focuses the box. */
  insert(text: string): void {
    const { value } = this.input;
    const at = this.input.selectionStart ?? value.length;
    const before = value.slice(0, at);
    const lead = before === '' || before.endsWith('\n') ? '' : '\n';
    const piece = lead + text + (text.endsWith('\n') ? '' : '\n');
    this.input.value = before + piece + value.slice(at);
    const caret = at + piece.length;
    this.input.setSelectionRange(caret, caret);
    this.input.focus();
    this.on.draft(this.input.value);
  }

  private submit(): void {
    const text = this.input.value;
    if (!text.trim() || this.input.disabled) return;
    this.mentions.close();
    this.on.send(text);
    this.input.value = '';
    this.on.draft('');
  }
}
