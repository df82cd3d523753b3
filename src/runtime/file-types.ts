import path from 'node:path';

// MIME types of the Files API: the client's declared type when it says something, else one guessed from the name.
// One table both ways: a name's extension gives its type, and a nameless upload of a known type gets its extension.

const TYPES: ReadonlyArray<readonly [string, string]> = [
  ['.txt', 'text/plain'],
  ['.md', 'text/markdown'],
  ['.csv', 'text/csv'],
  ['.html', 'text/html'],
  ['.css', 'text/css'],
  ['.xml', 'application/xml'],
  ['.json', 'application/json'],
  ['.js', 'text/javascript'],
  ['.ts', 'text/x-typescript'],
  ['.py', 'text/x-python'],
  ['.yaml', 'application/yaml'],
  ['.yml', 'application/yaml'],
  ['.pdf', 'application/pdf'],
  ['.zip', 'application/zip'],
  ['.gz', 'application/gzip'],
  ['.tar', 'application/x-tar'],
  ['.png', 'image/png'],
  ['.jpg', 'image/jpeg'],
  ['.jpeg', 'image/jpeg'],
  ['.gif', 'image/gif'],
  ['.webp', 'image/webp'],
  ['.svg', 'image/svg+xml'],
  ['.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ['.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  ['.pptx', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
];
const GENERIC = 'application/octet-stream';
const BY_EXTENSION = new Map(TYPES);

export function mimeTypeOf(filename: string, declared?: string): string {
  const given = declared?.split(';')[0]?.trim().toLowerCase();
  if (given && given !== GENERIC && /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(given)) return given;
  return BY_EXTENSION.get(path.extname(filename).toLowerCase()) ?? GENERIC;
}

/** The extension a file of this type gets when it came without a name ('' when the type is unknown). */
export function extensionFor(mimeType: string | undefined): string {
  return TYPES.find(([, t]) => t === mimeType)?.[0] ?? '';
}
