import type { SessionStatus } from '../../src/wire';
import { icon } from '../render/icons';
import { button, h } from './dom';

export interface ComposerHandlers {
  send(text: string): void;
  interrupt(): void;
  draft(text: string): void;
}

// The input box: Enter sends (a steering message while the agent runs), Shift+Enter is a new line; the Interrupt
// button is enabled while something runs. Escape is bound panel-wide by the app.
export class ComposerView {
  readonly el: HTMLElement;
  readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly interruptButton: HTMLButtonElement;

  constructor(doc: Document, draft: string, private readonly on: ComposerHandlers) {
    this.input = h(doc, 'textarea', { class: 'composer-input', attrs: { rows: '3', 'aria-label': 'Message to the agent' } });
    this.input.value = draft;
    this.input.addEventListener('input', () => on.draft(this.input.value));
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      }
    });
    this.sendButton = button(doc, 'Send', () => this.submit(), { class: 'primary', attrs: { 'aria-label': 'Send message' } });
    this.interruptButton = button(doc, ' Interrupt', () => on.interrupt(), { class: 'secondary', attrs: { 'aria-label': 'Interrupt the agent (Escape)', title: 'Interrupt (Escape)' } });
    this.interruptButton.prepend(icon(doc, 'debug-stop'));
    this.el = h(doc, 'form', { class: 'composer', attrs: { 'aria-label': 'Message composer' } }, [
      this.input,
      h(doc, 'div', { class: 'composer-actions' }, [h(doc, 'span', { class: 'hint', text: 'Enter to send · Shift+Enter new line · Esc interrupts' }), this.interruptButton, this.sendButton]),
    ]);
    this.el.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
  }

  setStatus(status: SessionStatus): void {
    const busy = status === 'running' || status === 'rescheduling';
    this.interruptButton.disabled = !busy;
    const closed = status === 'terminated';
    this.input.disabled = closed;
    this.sendButton.disabled = closed;
    this.input.placeholder = closed ? 'The session has ended.' : busy ? 'Steer the agent: this is sent right away…' : 'Message the agent…';
  }

  private submit(): void {
    const text = this.input.value;
    if (!text.trim() || this.input.disabled) return;
    this.on.send(text);
    this.input.value = '';
    this.on.draft('');
  }
}
