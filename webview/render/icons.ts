import { button } from '../ui/dom';

// Icons are VS Code's own codicons (the font and its stylesheet, dist/codicon.css, ship with the extension and load
// from its own origin), so the panel's icons match the editor's in every theme and scale with the font size.

/** The codicons the panel uses; a name outside this list is a type error rather than an empty box. */
export type Codicon =
  | 'arrow-left'
  | 'arrow-right'
  | 'bell-dot'
  | 'check'
  | 'chevron-right'
  | 'circle-filled'
  | 'circle-outline'
  | 'circle-slash'
  | 'close'
  | 'copy'
  | 'debug-stop'
  | 'discard'
  | 'edit'
  | 'error'
  | 'file'
  | 'folder'
  | 'globe'
  | 'go-to-file'
  | 'loading'
  | 'new-file'
  | 'plug'
  | 'repo-forked'
  | 'search'
  | 'sync'
  | 'terminal'
  | 'tools'
  | 'vm'
  | 'warning';

export function icon(doc: Document, name: Codicon, spin = false): HTMLElement {
  const el = doc.createElement('span');
  el.className = `codicon codicon-${name}${spin ? ' codicon-modifier-spin' : ''}`;
  el.setAttribute('aria-hidden', 'true');
  return el;
}

/** A button that is only an icon: the label is its accessible name and its tooltip. */
export function iconButton(doc: Document, name: Codicon, label: string, onClick: () => void, cls = ''): HTMLButtonElement {
  const b = button(doc, '', onClick, { class: `icon-button ${cls}`.trim(), attrs: { 'aria-label': label, title: label } });
  b.append(icon(doc, name));
  return b;
}
