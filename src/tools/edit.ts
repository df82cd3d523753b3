import { readFile, stat } from 'node:fs/promises';
import type { ToolOutcome } from '../wire/tool-outcome';
import { formatBytes, hasNul, isUtf8, textOutcome, ToolFailure } from './output';
import { errnoCode, fsErrorText, resolveInRoot } from './paths';
import { numberLine } from './read';
import type { EditInput } from './schemas';
import { replaceFile } from './write';

export const EDIT_MAX_BYTES = 16 * 1024 * 1024;
const SNIPPET_CONTEXT = 3;
const SNIPPET_MAX_LINES = 40;

function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}

// read shows lines without their \r, so the model writes \n; in a CRLF file both strings get CRLF back.
function usesCrlf(text: string): boolean {
  const crlf = countOccurrences(text, '\r\n');
  return crlf > 0 && crlf >= countOccurrences(text, '\n') - crlf;
}

function snippet(text: string, at: number, insertedLines: number): string {
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  const first = text.slice(0, at).split('\n').length;
  const from = Math.max(1, first - SNIPPET_CONTEXT);
  const to = Math.min(lines.length, first + insertedLines - 1 + SNIPPET_CONTEXT, from + SNIPPET_MAX_LINES - 1);
  const shown: string[] = [];
  for (let n = from; n <= to; n++) shown.push(numberLine(n, (lines[n - 1] as string).replace(/\r$/, '')));
  return shown.join('\n');
}

export async function runEdit(root: string, input: EditInput): Promise<ToolOutcome> {
  const { abs, rel } = await resolveInRoot(root, input.file_path);
  const st = await stat(abs).catch((err: unknown) => {
    const hint = errnoCode(err) === 'ENOENT' ? '; edit changes existing files, use write to create one' : '';
    throw new ToolFailure(fsErrorText(err, rel) + hint);
  });
  if (st.isDirectory()) throw new ToolFailure(`${rel} is a directory; edit changes files`);
  if (!st.isFile()) throw new ToolFailure(`${rel} is not a regular file`);
  if (st.size > EDIT_MAX_BYTES) {
    throw new ToolFailure(`${rel} is ${formatBytes(st.size)}, over the ${formatBytes(EDIT_MAX_BYTES)} edit limit; change it with bash (e.g. sed)`);
  }
  const data = await readFile(abs).catch((err: unknown) => {
    throw new ToolFailure(fsErrorText(err, rel));
  });
  if (hasNul(data) || !isUtf8(data)) {
    throw new ToolFailure(`${rel} is binary or not valid UTF-8 (${formatBytes(data.length)}); edit only changes UTF-8 text`);
  }
  const text = data.toString('utf8');
  const crlf = usesCrlf(text);
  const oldString = crlf ? input.old_string.replace(/\r?\n/g, '\r\n') : input.old_string;
  const newString = crlf ? input.new_string.replace(/\r?\n/g, '\r\n') : input.new_string;

  const count = countOccurrences(text, oldString);
  if (count === 0) {
    throw new ToolFailure(
      `old_string was not found in ${rel}. It must match the file exactly, including whitespace and indentation ` +
        "(without the line-number prefix read shows); read the file to see its current content.",
    );
  }
  if (count > 1 && !input.replace_all) {
    throw new ToolFailure(
      `old_string occurs ${count} times in ${rel}; include more surrounding lines to make it unique, or set ` +
        `replace_all: true to replace all ${count}.`,
    );
  }
  const at = text.indexOf(oldString);
  // A replacer function keeps `$&` and friends in new_string literal.
  const updated = input.replace_all ? text.split(oldString).join(newString) : text.replace(oldString, () => newString);
  await replaceFile(abs, rel, updated);
  const replaced = input.replace_all ? count : 1;
  const lines = newString.split('\n').length;
  return textOutcome(
    `Edited ${rel}: replaced ${replaced} occurrence${replaced === 1 ? '' : 's'}. ` +
      `Around the ${replaced === 1 ? 'change' : 'first change'} it now reads:\n${snippet(updated, at, lines)}`,
  );
}
