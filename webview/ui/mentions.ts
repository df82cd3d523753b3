import { icon } from '../render/icons';
import { h } from './dom';

// `@` mentions in the composer: typing `@` and part of a path lists the repository's files the host sent; picking one
// writes `@path` into the message, which is how the agent learns which file is meant (it reads it in its copy), as
// in other agent chats. The list is a listbox the textarea controls (aria-activedescendant), driven by the keyboard
// from the textarea: Up/Down move, Enter or Tab take the option, Escape closes it.

const SHOWN = 8;

/** The mention being typed at the caret: where its `@` is and what follows it. */
export function mentionAt(text: string, caret: number): { start: number; query: string } | null {
  const m = /(?:^|\s)@([^\s@]*)$/.exec(text.slice(0, caret));
  if (!m) return null;
  return { start: caret - m[1]!.length - 1, query: m[1]! };
}

/** The files that fit the query, best first: the name starts with it, then a folder does, then it is anywhere. */
export function matchFiles(paths: readonly string[], query: string, limit = SHOWN): string[] {
  const q = query.toLowerCase();
  const rank = (p: string): number => {
    const lower = p.toLowerCase();
    const name = lower.slice(lower.lastIndexOf('/') + 1);
    if (name.startsWith(q)) return 0;
    if (lower.startsWith(q) || lower.includes(`/${q}`)) return 1;
    return lower.includes(q) ? 2 : -1;
  };
  const hits: Array<{ p: string; r: number }> = [];
  for (const p of paths) {
    const r = rank(p);
    if (r >= 0) hits.push({ p, r });
  }
  hits.sort((a, b) => a.r - b.r || a.p.length - b.p.length || (a.p < b.p ? -1 : 1));
  return hits.slice(0, limit).map((x) => x.p);
}

export class MentionList {
  readonly el: HTMLUListElement;
  private files: readonly string[] = [];
  private options: string[] = [];
  private active = 0;
  private mention: { start: number; query: string } | null = null;

  constructor(private readonly doc: Document, private readonly input: HTMLTextAreaElement, private readonly changed: () => void) {
    this.el = h(doc, 'ul', { class: 'mention-list', attrs: { role: 'listbox', id: 'mention-list', 'aria-label': 'Files to mention' } });
    this.el.hidden = true;
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-controls', this.el.id);
    input.setAttribute('aria-expanded', 'false');
    // The caret moves without input too (arrows, clicks): the list follows what is at the caret.
    input.addEventListener('input', () => this.update());
    input.addEventListener('click', () => this.update());
    input.addEventListener('blur', () => this.close());
  }

  setFiles(paths: readonly string[]): void {
    this.files = paths;
    if (this.isOpen) this.update();
  }

  get isOpen(): boolean {
    return !this.el.hidden;
  }

  /** Handles a key while the list is open; true when it was the list's. */
  key(e: KeyboardEvent): boolean {
    if (!this.isOpen) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const step = e.key === 'ArrowDown' ? 1 : -1;
      this.select((this.active + step + this.options.length) % this.options.length);
      return true;
    }
    if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey) {
      this.pick(this.options[this.active]!);
      return true;
    }
    if (e.key === 'Escape') {
      this.close();
      return true;
    }
    return false;
  }

  /** Brings the list up to date with the text at the caret. */
  update(): void {
    const mention = mentionAt(this.input.value, this.input.selectionStart ?? this.input.value.length);
    if (mention?.query !== this.mention?.query) this.active = 0;
    this.mention = mention;
    this.options = this.mention && this.files.length > 0 ? matchFiles(this.files, this.mention.query) : [];
    if (this.options.length === 0) return this.close();
    this.el.replaceChildren(
      ...this.options.map((p, i) => {
        const slash = p.lastIndexOf('/');
        const li = h(this.doc, 'li', { class: 'mention-option', attrs: { role: 'option', id: `mention-${i}`, 'aria-selected': 'false', title: p } }, [
          icon(this.doc, 'file'),
          h(this.doc, 'span', { class: 'mention-name', text: p.slice(slash + 1) }),
          slash > 0 ? h(this.doc, 'span', { class: 'mention-dir', text: p.slice(0, slash) }) : null,
        ]);
        // mousedown, not click: the textarea keeps the focus (a blur would close the list first).
        li.addEventListener('mousedown', (e) => {
          e.preventDefault();
          this.pick(p);
        });
        return li;
      }),
    );
    this.el.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
    this.select(Math.min(this.active, this.options.length - 1));
  }

  private select(index: number): void {
    this.active = index;
    this.el.querySelectorAll('[role="option"]').forEach((li, i) => li.setAttribute('aria-selected', String(i === index)));
    this.input.setAttribute('aria-activedescendant', `mention-${index}`);
    this.el.children[index]?.scrollIntoView?.({ block: 'nearest' });
  }

  /** Writes `@path ` over the `@query` being typed. */
  private pick(path: string): void {
    const m = this.mention;
    if (!m) return;
    const end = m.start + 1 + m.query.length;
    const inserted = `@${path} `;
    this.input.value = this.input.value.slice(0, m.start) + inserted + this.input.value.slice(end);
    const caret = m.start + inserted.length;
    this.input.setSelectionRange(caret, caret);
    this.close();
    this.changed();
  }

  close(): void {
    this.el.hidden = true;
    this.active = 0;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
  }
}
