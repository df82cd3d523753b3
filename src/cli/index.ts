import { VERSION } from './version';

// `hangar --version` answers before the commands are loaded; every other command loads them (and, in the bundle,
// only the chunks its imports reach: see cliBundle in bundles.mjs).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) process.stdout.write(`${VERSION}\n`);
else void import('./main').then((m) => m.main(process.argv));
