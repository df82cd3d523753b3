import type { ToolItem } from '../model/items';
import { h } from '../ui/dom';
import { foldedText, toggleRegion } from './context';
import type { RenderCtx } from './context';
import { renderDiff } from './diff';
import { icon, iconButton } from './icons';
import { toolLine } from './tool-summary';
import { checkpointButtons } from './misc';

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/** Input worth showing when the call is opened: the whole command, or an unknown tool's input; edits and writes show as diffs. */
function inputDetail(item: ToolItem): string | null {
  if (item.toolKind === 'builtin') {
    if (item.name === 'bash') return str(item.input.command);
    if (['read', 'glob', 'grep', 'edit', 'write', 'web_fetch', 'web_search'].includes(item.name)) return null;
  }
  return Object.keys(item.input).length ? JSON.stringify(item.input, null, 2) : null;
}

/**
 * One line per call: its kind's icon, the tool, the target and a short result. The line is a button that opens the
 * input and output; an edit's or write's change shows under it as a coloured diff, a running command's live tail too.
 */
export function renderTool(ctx: RenderCtx, item: ToolItem, pending: boolean): HTMLElement {
  const { doc } = ctx;
  const line = toolLine(item, pending);
  const name = item.server ? `${item.server}/${item.name}` : item.name;
  const { toggle, region } = toggleRegion(
    ctx,
    `${item.key}:open`,
    [
      icon(doc, line.icon),
      h(doc, 'span', { class: 'tool-name', text: name }),
      h(doc, 'span', { class: 'tool-target', text: line.target }),
      h(doc, 'span', { class: `tool-result tone-${line.result.tone}` }, [line.result.tone === 'busy' ? icon(doc, 'loading', true) : null, line.result.text]),
    ],
    () => details(ctx, item),
    'tool-line',
  );
  toggle.title = line.target ? `${name}: ${line.target}` : name;
  const open = line.path ? openFileButton(ctx, line.path) : null;
  const live = !item.result && item.live ? liveOutput(ctx, item.live) : null;
  // Busy while its output streams: the list is a polite live region, and a screen reader should read the call once
  // its result is in, not each of the ~10 updates a second.
  const attrs = { 'aria-label': `Tool call ${name}`, ...(live ? { 'aria-busy': 'true' } : {}) };
  return h(doc, 'article', { class: `item tool tone-${line.result.tone}`, attrs }, [
    h(doc, 'div', { class: 'tool-head' }, [toggle, open, ...checkpointButtons(ctx, item.checkpoint, `after this ${name} call`)]),
    line.diff && line.diff.lines.length ? renderDiff(ctx, `${item.key}:diff`, line.diff, line.target || name) : null,
    live,
    region,
  ]);
}

function details(ctx: RenderCtx, item: ToolItem): HTMLElement {
  const { doc } = ctx;
  const input = inputDetail(item);
  const r = item.result;
  return h(doc, 'div', { class: 'tool-details' }, [
    input ? h(doc, 'div', { class: 'detail-label', text: 'Input' }) : null,
    input ? h(doc, 'pre', { class: 'tool-input', text: input }) : null,
    r
      ? h(doc, 'div', { class: 'detail-label' }, [h(doc, 'span', { text: r.isError ? 'Error' : 'Output' }), copyButton(ctx, item)])
      : h(doc, 'div', { class: 'muted', text: 'No result yet.' }),
    r ? foldedText(ctx, `${item.key}:output`, r.text || (r.attachments ? `(${r.attachments} attachment(s))` : '(no output)'), `output${r.isError ? ' error-text' : ''}`) : null,
  ]);
}

function openFileButton(ctx: RenderCtx, path: string): HTMLButtonElement {
  return iconButton(ctx.doc, 'go-to-file', `Open ${path}`, () => ctx.post({ type: 'openFile', path }), 'open-file');
}

/** Lines of a running command's output shown live; the host sends a few more, capped in length. */
const LIVE_LINES = 6;

function liveOutput(ctx: RenderCtx, live: NonNullable<ToolItem['live']>): HTMLElement {
  const size = live.bytes < 1024 ? `${live.bytes} bytes` : `${(live.bytes / 1024).toFixed(1)} KiB`;
  const text = live.binary ? `(binary output, ${size} so far)` : live.tail.split('\n').slice(-LIVE_LINES).join('\n');
  return h(ctx.doc, 'pre', { class: 'output tool-live', text, attrs: { 'aria-label': `Live output so far (${size}), last lines`, title: `${size} so far` } });
}

function copyButton(ctx: RenderCtx, item: ToolItem): HTMLButtonElement {
  return iconButton(ctx.doc, 'copy', `Copy ${item.name} output`, () => ctx.post({ type: 'copy', text: item.result?.text ?? '' }), 'copy-output');
}
