import { summarizeToolInput } from '../../src/format/tool-input';
import type { ToolItem } from '../model/items';
import { button, h } from '../ui/dom';
import { disclosure, foldedText } from './context';
import { icon } from './icons';
import type { RenderCtx } from './context';

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/** Input worth showing beyond the summary line (file contents, edit strings, unknown tools' full input). */
function inputDetail(name: string, input: Record<string, unknown>): string | null {
  if (name === 'bash' || name === 'read' || name === 'glob' || name === 'grep') return null;
  if (name === 'write') return str(input.content);
  if (name === 'edit') return `- ${String(input.old_string ?? '').replace(/\n/g, '\n- ')}\n+ ${String(input.new_string ?? '').replace(/\n/g, '\n+ ')}`;
  return Object.keys(input).length ? JSON.stringify(input, null, 2) : null;
}

export function toolState(item: ToolItem, pending: boolean): { label: string; tone: 'ok' | 'warn' | 'error' | 'busy' } {
  if (item.confirmation?.result === 'deny') return { label: item.confirmation.denyMessage ? `denied: ${item.confirmation.denyMessage}` : 'denied', tone: 'error' };
  if (item.permission === 'deny') return { label: 'blocked', tone: 'error' };
  if (item.result) return item.result.isError ? { label: 'failed', tone: 'error' } : { label: 'done', tone: 'ok' };
  if (pending) return { label: item.toolKind === 'custom' ? 'waiting for your answer' : 'waiting for approval', tone: 'warn' };
  return { label: 'running…', tone: 'busy' };
}

export function renderTool(ctx: RenderCtx, item: ToolItem, pending: boolean): HTMLElement {
  const { doc } = ctx;
  const s = summarizeToolInput(item.name, item.input);
  const state = toolState(item, pending);
  const name = item.server ? `${item.server}/${item.name}` : item.name;
  const summary = s.path
    ? h(doc, 'a', { class: 'tool-summary md-link', text: s.text, attrs: { 'data-path': s.path, role: 'link', tabindex: '0', title: `Open ${s.path}` } })
    : h(doc, 'code', { class: 'tool-summary', text: s.text });
  const detail = inputDetail(item.name, item.input);
  const live = !item.result && item.live ? liveOutput(ctx, item.live) : null;
  const output = item.result
    ? h(doc, 'div', { class: 'tool-output' }, [
        foldedText(ctx, `${item.key}:output`, item.result.text || (item.result.attachments ? `(${item.result.attachments} attachment(s))` : '(no output)'), `output${item.result.isError ? ' error-text' : ''}`),
        copyButton(ctx, item),
      ])
    : null;
  return h(doc, 'article', { class: `item tool tone-${state.tone}`, attrs: { 'aria-label': `Tool call ${name}` } }, [
    h(doc, 'div', { class: 'tool-head' }, [
      h(doc, 'span', { class: 'glyph', text: s.glyph, attrs: { 'aria-hidden': 'true' } }),
      h(doc, 'span', { class: 'tool-name', text: name }),
      summary,
      h(doc, 'span', { class: `badge tone-${state.tone}`, text: state.label }),
    ]),
    detail ? disclosure(ctx, `${item.key}:input`, 'Input', () => h(doc, 'pre', { class: 'tool-input', text: detail }), 'tool-input-toggle') : null,
    live,
    output,
  ]);
}

/** Lines of a running command's output shown live; the host sends a few more, capped in length. */
const LIVE_LINES = 6;

function liveOutput(ctx: RenderCtx, live: NonNullable<ToolItem['live']>): HTMLElement {
  const size = live.bytes < 1024 ? `${live.bytes} bytes` : `${(live.bytes / 1024).toFixed(1)} KiB`;
  const text = live.binary ? `(binary output, ${size} so far)` : live.tail.split('\n').slice(-LIVE_LINES).join('\n');
  return h(ctx.doc, 'pre', { class: 'output tool-live', text, attrs: { 'aria-label': `Live output so far (${size}), last lines`, title: `${size} so far` } });
}

function copyButton(ctx: RenderCtx, item: ToolItem): HTMLButtonElement {
  const b = button(ctx.doc, '', () => ctx.post({ type: 'copy', text: item.result?.text ?? '' }), { class: 'icon-button copy-output', attrs: { 'aria-label': `Copy ${item.name} output`, title: 'Copy output' } });
  b.append(icon(ctx.doc, 'copy'));
  return b;
}
