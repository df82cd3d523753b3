import path from 'node:path';
import ts from 'typescript';

// Checks recorded wire values against the official SDK's own declarations: each value becomes an object literal
// assigned to the SDK type it claims to be, so the checker applies excess-property checks (an undeclared key such as
// config.hangar fails) as well as missing required keys and wrong union members. The file is virtual but "lives"
// beside this one, so `@anthropic-ai/sdk` resolves from the project's node_modules (the pinned version).

export interface Recorded {
  /** Where the value came from, e.g. "GET /v1/environments/:id". */
  label: string;
  /** A type path under the SDK's default export, e.g. "Beta.Sessions.BetaManagedAgentsSession". */
  type: string;
  value: unknown;
}

const VIRTUAL = path.join(import.meta.dirname, '__recorded_responses__.ts');

export function recordedSource(records: readonly Recorded[]): string {
  const lines = ["import type Anthropic from '@anthropic-ai/sdk';", ''];
  records.forEach((r, i) => {
    lines.push(`// ${r.label}`);
    lines.push(`export const r${i}: Anthropic.${r.type} = ${JSON.stringify(r.value, null, 2)};`);
  });
  return `${lines.join('\n')}\n`;
}

/** The checker's complaints about the recorded values, each naming the record it is about; empty when all fit. */
export function typeCheckRecorded(records: readonly Recorded[]): string[] {
  const source = recordedSource(records);
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (name, lang, onError, create) => (name === VIRTUAL ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, onError, create));
  host.fileExists = (name) => name === VIRTUAL || fileExists(name);
  host.readFile = (name) => (name === VIRTUAL ? source : readFile(name));
  const program = ts.createProgram([VIRTUAL], options, host);
  const file = program.getSourceFile(VIRTUAL)!;
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file !== file || d.start === undefined) return text;
    const at = recordAt(source, d.start, records);
    return `${at}\n  ${text.replace(/\n/g, '\n  ')}`;
  });
}

/** "<label> as <type>" for the record whose declaration contains `offset`. */
function recordAt(source: string, offset: number, records: readonly Recorded[]): string {
  const before = source.slice(0, offset);
  const m = [...before.matchAll(/^export const r(\d+):/gm)].at(-1);
  const r = m ? records[Number(m[1])] : undefined;
  const line = before.split('\n').length;
  return r ? `${r.label} as ${r.type} (line ${line} of the generated file)` : `line ${line}`;
}
