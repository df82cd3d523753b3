import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { h } from '../ui/dom';
import type { RenderCtx } from './context';
import { iconButton } from './icons';

// Code blocks in messages: highlighted by highlight.js core with the languages agents write most (the full set would
// triple the bundle), coloured from the theme's token colours in panel.css. Unknown languages stay plain text.

const LANGUAGES = { bash, css, diff, go, java, javascript, json, python, rust, sql, typescript, xml, yaml };
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);
hljs.registerAliases(['sh', 'shell', 'zsh', 'console'], { languageName: 'bash' });
hljs.registerAliases(['html', 'svg'], { languageName: 'xml' });

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The HTML of a fenced code block, for marked's renderer. highlight.js escapes the code and adds only spans with
 * classes; the result still goes through DOMPurify with the rest of the message.
 */
export function codeBlockHtml(text: string, lang: string | undefined): string {
  const name = (lang ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  const known = name && hljs.getLanguage(name) ? name : null;
  const body = known ? hljs.highlight(text, { language: known, ignoreIllegals: true }).value : escape(text);
  return `<pre><code class="hljs${known ? ` language-${escape(known)}` : ''}"${name ? ` data-lang="${escape(name)}"` : ''}>${body}</code></pre>`;
}

/** Gives every code block in rendered markdown a bar with its language and a copy button above the code (not over it). */
export function decorateCodeBlocks(ctx: RenderCtx, root: ParentNode): void {
  for (const pre of root.querySelectorAll('pre')) {
    const code = pre.querySelector('code');
    const text = (code ?? pre).textContent ?? '';
    const lang = code?.getAttribute('data-lang') ?? '';
    const copy = iconButton(ctx.doc, 'copy', `Copy ${lang ? `${lang} ` : ''}code`, () => ctx.post({ type: 'copy', text }), 'copy-code');
    const bar = h(ctx.doc, 'div', { class: 'code-bar' }, [h(ctx.doc, 'span', { class: 'code-lang', text: lang }), copy]);
    const block = h(ctx.doc, 'div', { class: 'code-block' });
    pre.replaceWith(block);
    block.append(bar, pre);
  }
}
