import assert from 'node:assert/strict';
import { builtinToolDefinitions, SANDBOX_TOOL_NAMES } from '../../../src/tools/schemas';
import { fixture, text, type Fixture } from './helpers';

describe('tools: host input validation', () => {
  let f: Fixture;
  before(async () => {
    f = await fixture();
  });
  after(async () => {
    await f.cleanup();
  });

  const cases: [string, unknown, RegExp[]][] = [
    ['read', {}, [/file_path: required \(string\) but missing/, /Expected: read \{file_path: string/]],
    ['read', { file_path: 42 }, [/file_path: expected string, received number/]],
    ['read', { file_path: 'a', path: 'b' }, [/unknown field "path"/]],
    ['read', null, [/input: expected object, received null/]],
    ['read', 'a.txt', [/input: expected object, received string/]],
    ['write', { file_path: 'a' }, [/content: required \(string\) but missing/]],
    ['edit', { file_path: 'a', old_string: 'x' }, [/new_string: required \(string\) but missing/]],
    ['edit', { file_path: 'a', old_string: 'x', new_string: 'y', replace_all: 'yes' }, [/replace_all: expected boolean, received string/]],
    ['glob', { path: '.' }, [/pattern: required \(string\) but missing/]],
    ['grep', { pattern: ['a'] }, [/pattern: expected string, received array/]],
    ['bash', {}, [/give `command` \(a string\), or `restart: true`/]],
    ['bash', { command: 'ls', timeout_ms: 700_000 }, [/timeout_ms: must be at most 600000/]],
    ['bash', { command: 'ls', timeout_ms: -5 }, [/timeout_ms: Too small/]],
    ['bash', { command: 7 }, [/command: expected string, received number/]],
    ['web_fetch', { url: 'x' }, [/Unknown tool "web_fetch"; this sandbox runs bash, read, write, edit, glob, grep/]],
    ['rm -rf', {}, [/Unknown tool "rm -rf"/]],
  ];
  for (const [name, input, patterns] of cases) {
    it(`${name} ${JSON.stringify(input)} → is_error with a precise message`, async () => {
      const out = await f.run(name, input);
      assert.equal(out.is_error, true);
      for (const pattern of patterns) assert.match(text(out), pattern);
    });
  }
});

describe('tools: definitions for the model', () => {
  it('describes every sandbox tool with a JSON schema generated from its zod schema', () => {
    const defs = builtinToolDefinitions();
    assert.deepEqual(defs.map((d) => d.name), [...SANDBOX_TOOL_NAMES]);
    for (const def of defs) {
      assert.equal(def.input_schema.type, 'object');
      assert.equal(def.input_schema.additionalProperties, false);
      assert.equal('$schema' in def.input_schema, false);
      assert.ok(def.description.length > 80, def.name);
    }
    const read = defs.find((d) => d.name === 'read');
    assert.deepEqual(read?.input_schema.required, ['file_path']);
    const props = read?.input_schema.properties as Record<string, Record<string, unknown>>;
    assert.deepEqual(props.view_range, {
      type: 'array',
      items: { type: 'integer' },
      minItems: 2,
      maxItems: 2,
      description: '[start_line, end_line], 1-based and inclusive; end_line <= 0 reads to the end of the file.',
    });
    assert.match(String(props.file_path?.description), /relative to the workspace root/);
    const bash = defs.find((d) => d.name === 'bash');
    assert.equal(bash?.input_schema.required, undefined);
    assert.deepEqual((bash?.input_schema.properties as Record<string, Record<string, unknown>>).timeout_ms?.maximum, 600_000);
  });

  it('converts each schema once and shares it frozen, so no request can change what the next one sends', () => {
    const [first] = builtinToolDefinitions(['read']);
    const [again] = builtinToolDefinitions(['read']);
    assert.equal(again?.input_schema, first?.input_schema);
    const props = first?.input_schema.properties as Record<string, Record<string, unknown>>;
    assert.throws(() => {
      props.file_path!.description = 'changed';
    }, TypeError);
    assert.match(String(props.file_path?.description), /relative to the workspace root/);
  });

  it('returns only the requested tools, in order', () => {
    assert.deepEqual(builtinToolDefinitions(['grep', 'read']).map((d) => d.name), ['grep', 'read']);
  });
});
