import createDOMPurify from 'dompurify';
import type { DOMPurify } from 'dompurify';
import { Marked } from 'marked';
import { codeBlockHtml } from './code';

// Model output is untrusted: markdown becomes HTML through marked, and only DOMPurify's output reaches the DOM.
// Everything that could fetch, run or restyle something is dropped (the CSP would block most of it anyway, but
// the panel should not depend on a second line of defence). Links are kept as text-bearing anchors and opened
// through the host by a click handler on the stream, never navigated inside the webview.
const FORBID_TAGS = ['style', 'img', 'picture', 'source', 'video', 'audio', 'iframe', 'object', 'embed', 'form', 'input', 'button', 'textarea', 'select', 'svg', 'math', 'link', 'meta', 'base'];
const FORBID_ATTR = ['style', 'id', 'name', 'target', 'srcset', 'formaction'];

export class Markdown {
  private readonly purify: DOMPurify;
  private readonly marked = new Marked({ gfm: true, breaks: true, async: false, renderer: { code: ({ text, lang }) => codeBlockHtml(text, lang) } });

  constructor(private readonly doc: Document) {
    const view = doc.defaultView;
    if (!view) throw new Error('markdown needs a document with a window');
    this.purify = createDOMPurify(view);
  }

  render(text: string): DocumentFragment {
    const html = this.marked.parse(text, { async: false });
    const clean = this.purify.sanitize(html, { FORBID_TAGS, FORBID_ATTR, RETURN_DOM_FRAGMENT: true });
    const fragment = this.doc.importNode(clean, true);
    for (const a of fragment.querySelectorAll('a')) {
      a.setAttribute('data-href', a.getAttribute('href') ?? '');
      a.removeAttribute('href');
      a.setAttribute('role', 'link');
      a.setAttribute('tabindex', '0');
      a.classList.add('md-link');
    }
    return fragment;
  }
}

export type LinkTarget = { type: 'openLink'; href: string } | { type: 'openFile'; path: string } | null;

/** Where a markdown link goes: URLs with a scheme to the host's opener, bare paths to the editor, anchors nowhere. */
export function linkTarget(href: string): LinkTarget {
  const h = href.trim();
  if (!h || h.startsWith('#')) return null;
  if (/^[a-z][a-z0-9+.-]*:/i.test(h)) return { type: 'openLink', href: h };
  return { type: 'openFile', path: h.replace(/#.*$/, '') };
}
