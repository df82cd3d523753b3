import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import TurndownService from 'turndown';

// A fetched HTML page as the model should read it: the article (Firefox Reader View's @mozilla/readability picks the
// main content and drops navigation, ads and scripts) as Markdown (turndown), on linkedom's DOM, which parses a page
// in a fraction of jsdom's time and memory and needs no browser. A page Readability finds no article in (a list, an
// index) is converted whole, minus scripts and styles.

export interface ReadablePage {
  title: string | null;
  markdown: string;
}

const turndown = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-' });
turndown.remove(['script', 'style', 'noscript', 'iframe', 'object', 'embed', 'template']);

export function htmlToMarkdown(html: string, url: URL): ReadablePage {
  const { document } = parseHTML(html);
  absolutiseLinks(document, url);
  const title = document.title?.trim() || null;
  // Readability changes the document it reads; the fallback converts the body from a fresh parse.
  const article = new Readability(document as unknown as Document).parse();
  const content = article?.content?.trim() ? article.content : parseHTML(html).document.body?.innerHTML ?? '';
  const markdown = turndown.turndown(content).replace(/\n{3,}/g, '\n\n').trim();
  return { title: article?.title?.trim() || title, markdown };
}

/** Relative links and images point at the page's own site, so the model can fetch what a page links to. */
function absolutiseLinks(document: ReturnType<typeof parseHTML>['document'], base: URL): void {
  for (const [selector, attr] of [['a[href]', 'href'], ['img[src]', 'src']] as const) {
    for (const el of document.querySelectorAll(selector)) {
      const value = el.getAttribute(attr);
      if (!value) continue;
      try {
        el.setAttribute(attr, new URL(value, base).href);
      } catch {
        // A malformed link stays as the page wrote it.
      }
    }
  }
}
