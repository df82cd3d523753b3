import { VERSION } from './version';
import { KEEPER_ARG } from './warm-keeper';

// `hangar --version` answers before the commands are loaded; every other command loads them (and, in the bundle,
// only the chunks its imports reach: see cliBundle in bundles.mjs).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) process.stdout.write(`${VERSION}\n`);
else if (args[0] === KEEPER_ARG) void import('../sandbox/docker/shared-keeper').then((m) => m.keepWarm(args.slice(1)));
else void import('./main').then((m) => m.main(process.argv));
