// Icons are VS Code's own codicons (the font and its stylesheet, dist/codicon.css, ship with the extension and load
// from its own origin), so the panel's icons match the editor's in every theme and scale with the font size.

/** The codicons the panel uses; a name outside this list is a type error rather than an empty box. */
export type Codicon =
  | 'arrow-left'
  | 'arrow-right'
  | 'check'
  | 'chevron-right'
  | 'circle-slash'
  | 'copy'
  | 'edit'
  | 'error'
  | 'file'
  | 'globe'
  | 'go-to-file'
  | 'loading'
  | 'new-file'
  | 'plug'
  | 'search'
  | 'terminal'
  | 'tools'
  | 'warning';

export function icon(doc: Document, name: Codicon, spin = false): HTMLElement {
  const el = doc.createElement('span');
  el.className = `codicon codicon-${name}${spin ? ' codicon-modifier-spin' : ''}`;
  el.setAttribute('aria-hidden', 'true');
  return el;
}
