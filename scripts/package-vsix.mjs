// `npm run package`: production bundles, then `vsce package --no-dependencies`, then a check of what the .vsix holds
// (the bundles, media, package.json; no sources, tests, node_modules or native modules) and its size.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const out = path.join(root, `${pkg.name}-${pkg.version}.vsix`);
const run = (cmd, args) => {
  try {
    execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
  } catch {
    console.error(`package: ${path.basename(cmd)} ${args.join(' ')} failed`);
    process.exit(1);
  }
};

run(process.execPath, ['esbuild.mjs', '--production']);
// No repository URL or LICENSE file yet: vsce would stop and ask, or refuse the README's relative links.
run(path.join(root, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links', '--out', out]);

const entries = zipEntries(readFileSync(out));
const problems = [];
for (const need of ['extension/package.json', 'extension/dist/extension.cjs', 'extension/dist/webview.js', 'extension/dist/codicon.css', 'extension/dist/codicon.ttf', 'extension/media/hangar.svg']) {
  if (!entries.includes(need)) problems.push(`missing ${need}`);
}
for (const e of entries) {
  if (/\.node$/.test(e)) problems.push(`native module ${e}`);
  if (/^extension\/(src|test|node_modules|scripts|\.cache|webview)\//.test(e)) problems.push(`development file ${e}`);
  if (/\.map$/.test(e)) problems.push(`source map ${e}`);
}
const kb = (statSync(out).size / 1024).toFixed(1);
console.log(`\n${path.basename(out)}: ${kb} KB, ${entries.length} entries`);
for (const e of entries) console.log(`  ${e}`);
if (problems.length > 0) {
  console.error(`\n.vsix check FAILED:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('.vsix check passed: bundles and media present, no sources, tests, node_modules, source maps or native modules');

/** Names in a zip's central directory (the .vsix is a plain zip; no library needed to list it). */
function zipEntries(buf) {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error(`${out} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const names = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${out}: damaged central directory`);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    names.push(buf.toString('utf8', p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return names;
}
