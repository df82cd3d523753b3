import { naturalSort } from '../../src/format/natural';
import type { ChangedFile } from '../../src/protocol/panel';
import { button, h } from './dom';

const STATUS_MARK = { added: 'A', modified: 'M', deleted: 'D' } as const;

// The sandbox's changed files, in natural order (file2 before file10): each opens its diff in the editor, and "Review
// changes" starts the hunk review. The list scrolls past a few rows (media/panel.css) so it never crowds out the stream.
export class ChangesView {
  readonly el: HTMLElement;

  constructor(private readonly doc: Document, private readonly on: { open(path: string): void; review(): void }) {
    this.el = h(doc, 'section', { class: 'changes', attrs: { 'aria-label': 'Changed files' } });
    this.el.hidden = true;
  }

  update(files: readonly ChangedFile[]): void {
    const { doc } = this;
    this.el.hidden = files.length === 0;
    if (!files.length) return this.el.replaceChildren();
    const add = files.reduce((n, f) => n + f.additions, 0);
    const del = files.reduce((n, f) => n + f.deletions, 0);
    const list = h(doc, 'ul', { class: 'changes-list' }, naturalSort(files, (f) => f.path).map((f) => h(doc, 'li', {}, [this.fileButton(f)])));
    this.el.replaceChildren(
      h(doc, 'div', { class: 'changes-head' }, [
        h(doc, 'span', { text: `${files.length} file${files.length === 1 ? '' : 's'} changed` }),
        h(doc, 'span', { class: 'plus', text: `+${add}` }),
        h(doc, 'span', { class: 'minus', text: `−${del}` }),
        button(doc, 'Review changes', () => this.on.review(), { class: 'secondary' }),
      ]),
      list,
    );
  }

  private fileButton(f: ChangedFile): HTMLButtonElement {
    const { doc } = this;
    return h(doc, 'button', { class: 'change-file', onClick: () => this.on.open(f.path), attrs: { type: 'button', 'aria-label': `Open ${f.path} (${f.status}, +${f.additions} −${f.deletions})` } }, [
      h(doc, 'span', { class: `mark mark-${f.status}`, text: STATUS_MARK[f.status] }),
      h(doc, 'span', { class: 'path', text: f.path }),
      h(doc, 'span', { class: 'plus', text: `+${f.additions}` }),
      h(doc, 'span', { class: 'minus', text: `−${f.deletions}` }),
    ]);
  }
}
