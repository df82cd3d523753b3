// A tiny element builder: text always goes through textContent, never innerHTML (only the sanitised markdown
// fragment is HTML), and styling only through classes, so the panel runs under a CSP without 'unsafe-inline'.
export type Child = Node | string | null | undefined | false;

export interface Props {
  class?: string;
  text?: string;
  attrs?: Record<string, string>;
  onClick?: (e: MouseEvent) => void;
}

export function h<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, props: Props = {}, children: readonly Child[] = []): HTMLElementTagNameMap[K] {
  const el = doc.createElement(tag);
  const base: HTMLElement = el;
  if (props.class) el.className = props.class;
  if (props.text !== undefined) el.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) el.setAttribute(k, v);
  if (props.onClick) base.addEventListener('click', props.onClick);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export function button(doc: Document, label: string, onClick: (e: MouseEvent) => void, props: Omit<Props, 'onClick' | 'text'> = {}): HTMLButtonElement {
  const b = h(doc, 'button', { ...props, text: label, onClick });
  b.type = 'button';
  return b;
}
