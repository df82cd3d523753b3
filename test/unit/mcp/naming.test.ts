import assert from 'node:assert/strict';
import { modelToolName } from '../../../src/mcp';

const VALID = /^[a-zA-Z0-9_-]{1,128}$/;

describe('mcp naming: <server>__<tool>', () => {
  it('keeps a name that is already valid', () => {
    assert.equal(modelToolName('everything', 'get-sum'), 'everything__get-sum');
  });

  it('sanitises other characters and adds a hash of the exact names', () => {
    const name = modelToolName('my.server', 'read file/v2');
    assert.match(name, /^my_server__read_file_v2_[0-9a-f]{8}$/);
    assert.equal(modelToolName('my.server', 'read file/v2'), name, 'stable across calls');
  });

  it('gives tools that sanitise alike different names', () => {
    const a = modelToolName('s', 'a.b');
    const b = modelToolName('s', 'a b');
    assert.notEqual(a, b);
    assert.ok(VALID.test(a) && VALID.test(b));
    assert.notEqual(modelToolName('s', 'a_b'), a, 'the clean name keeps its plain form, the lossy one gets a suffix');
  });

  it('cuts long names to 128 characters and keeps them unique', () => {
    const long = 'x'.repeat(300);
    const a = modelToolName('srv', long);
    const b = modelToolName('srv', `${long}y`);
    assert.equal(a.length, 128);
    assert.ok(VALID.test(a));
    assert.notEqual(a, b);
  });

  it('handles unicode, empty-looking and control-character names', () => {
    for (const tool of ['📁 list', '\u0000\n', 'ünïcödé', '..']) assert.ok(VALID.test(modelToolName('srv', tool)), tool);
  });

  it('a name already taken by another tool gets the hash suffix', () => {
    const taken = new Set(['a__b__c']);
    const name = modelToolName('a__b', 'c', taken);
    assert.notEqual(name, 'a__b__c');
    assert.ok(VALID.test(name));
  });
});
