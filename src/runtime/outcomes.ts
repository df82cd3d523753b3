import { readFile } from 'node:fs/promises';
import { delegates, MAX_RUBRIC_CHARS, type EventParams, type FileMetadata, type SessionAgent } from '../wire';
import { invalid, RuntimeError } from './errors';

// user.define_outcome as the runtime takes it, at create (initial_events) and later: refused where it cannot work
// (multi-agent sessions), and a file rubric read once into text, so the grader never depends on the file living on
// (the reference echoes file rubrics resolved to text).

type FileContent = (fileId: string) => Promise<{ metadata: FileMetadata; path: string }>;

export async function prepareOutcomes<P extends EventParams>(params: readonly P[], agent: SessionAgent, content: FileContent): Promise<P[]> {
  return Promise.all(
    params.map(async (p) => {
      if (p.type !== 'user.define_outcome') return p;
      if (delegates(agent)) throw invalid('Outcomes (user.define_outcome) are not supported in multi-agent sessions yet; give the coordinator the task as a user.message.');
      if (p.rubric.type === 'text') return p;
      return { ...p, rubric: { type: 'text', content: await rubricText(p.rubric.file_id, content) } };
    }),
  );
}

async function rubricText(fileId: string, content: FileContent): Promise<string> {
  const { metadata, path } = await content(fileId).catch((err: unknown) => {
    // The file is this request's input: a missing one is a bad request, not a missing endpoint.
    if (err instanceof RuntimeError && err.status === 404) throw invalid(`rubric.file_id: ${err.message}`);
    throw err;
  });
  // A character is at most 4 bytes in UTF-8: a bigger file cannot be a rubric within the limit.
  if (metadata.size_bytes > MAX_RUBRIC_CHARS * 4) throw invalid(`rubric file ${fileId} (${metadata.filename}) is ${metadata.size_bytes} bytes; a rubric is at most ${MAX_RUBRIC_CHARS} characters.`);
  const bytes = await readFile(path);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (bytes.includes(0) || text.includes('\uFFFD')) throw invalid(`rubric file ${fileId} (${metadata.filename}) is not UTF-8 text; a rubric is plain text or markdown.`);
  if (text.trim().length === 0) throw invalid(`rubric file ${fileId} (${metadata.filename}) is empty: write the criteria the work is graded against.`);
  if (text.length > MAX_RUBRIC_CHARS) throw invalid(`rubric file ${fileId} (${metadata.filename}) has ${text.length} characters; a rubric is at most ${MAX_RUBRIC_CHARS}.`);
  return text;
}
