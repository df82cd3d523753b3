// The CLI's version, a constant so that `hangar --version` loads nothing else (the layer table keeps package.json out
// of src/); test/unit/cli/version.test.ts holds it to package.json's.
export const VERSION = '0.1.0';
