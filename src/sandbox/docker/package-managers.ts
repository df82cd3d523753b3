import type { Packages } from '../../wire/environment';

// How each of the environment's package managers installs into an image, as root, through the egress proxy (the
// proxy variables are in the environment of every command), and how its failures read: a package that does not
// exist, or a registry that cannot be reached, named as such. Managers run in the reference's order (alphabetical:
// apt, cargo, gem, go, npm, pip). Packages are passed as argv, never through a shell.

export type Manager = 'apt' | 'cargo' | 'gem' | 'go' | 'npm' | 'pip';
export const MANAGERS: readonly Manager[] = ['apt', 'cargo', 'gem', 'go', 'npm', 'pip'];

export type PackageSet = Record<Manager, string[]>;

interface ManagerRecipe {
  /** The command that must exist in the image; when it does not, `debian` is installed with apt first. */
  tool: string;
  debian: string[];
  /** When `tool` is missing but `runtime` is there, this shell script installs the tool instead of apt. */
  bootstrap?: { runtime: string; script: string };
  /** Where its packages come from, for the error when it cannot be reached. */
  registry: string;
  /** A URL of the registry fetched first: an unreachable registry fails in seconds, before its tool is installed. */
  probe?: string;
  commands(packages: readonly string[]): string[][];
  /** The package its output says does not exist, if it says so. */
  missing(output: string): string | null;
}

const firstMatch = (output: string, patterns: readonly RegExp[]): string | null => {
  for (const p of patterns) {
    const m = p.exec(output);
    if (m?.[1]) return m[1];
  }
  return null;
};

/** npm for images with Node but no npm (Hangar's default image): the newest npm 10, which runs on Node 18.17+. */
const NPM_TARBALL = 'https://registry.npmjs.org/npm/-/npm-10.9.2.tgz';

export const RECIPES: Record<Manager, ManagerRecipe> = {
  apt: {
    tool: 'apt-get',
    debian: [],
    registry: "the image's apt sources",
    commands: (pkgs) => [
      // No translations: they are most of what an update downloads, and nothing here reads them.
      ['apt-get', 'update', '-q', '-o', 'Acquire::Languages=none'],
      ['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...pkgs],
    ],
    missing: (out) => firstMatch(out, [/Unable to locate package (\S+)/, /Package '?([^'\s]+)'? has no installation candidate/]),
  },
  cargo: {
    tool: 'cargo',
    debian: ['cargo'],
    registry: 'crates.io',
    probe: 'https://index.crates.io/config.json',
    commands: (pkgs) => pkgs.map((p) => ['cargo', 'install', '--root', '/usr/local', p]),
    missing: (out) => firstMatch(out, [/could not find `([^`]+)` in registry/]),
  },
  gem: {
    tool: 'gem',
    debian: ['ruby'],
    registry: 'rubygems.org',
    probe: 'https://rubygems.org/',
    commands: (pkgs) => [['gem', 'install', '--no-document', ...pkgs]],
    missing: (out) => firstMatch(out, [/Could not find a valid gem '([^']+)'/]),
  },
  go: {
    tool: 'go',
    debian: ['golang-go'],
    registry: 'proxy.golang.org',
    probe: 'https://proxy.golang.org/',
    // `go install` needs a version; unpinned means the latest, as the reference says.
    commands: (pkgs) => pkgs.map((p) => ['go', 'install', p.includes('@') ? p : `${p}@latest`]),
    missing: (out) => firstMatch(out, [/go: (\S+?)@\S+: .*(?:not found|unknown revision)/]),
  },
  npm: {
    tool: 'npm',
    // Debian's npm package pulls in some 350 node-* packages; npm itself from its registry is one tarball.
    debian: ['nodejs', 'npm'],
    bootstrap: {
      runtime: 'node',
      script: [
        'set -e',
        `d=/usr/local/lib/node_modules/npm`,
        'mkdir -p "$d"',
        `curl -fsSL --retry 2 ${NPM_TARBALL} | tar -xz -C "$d" --strip-components=1`,
        'ln -sf "$d/bin/npm-cli.js" /usr/local/bin/npm',
        'ln -sf "$d/bin/npx-cli.js" /usr/local/bin/npx',
      ].join('\n'),
    },
    registry: 'registry.npmjs.org',
    probe: 'https://registry.npmjs.org/',
    commands: (pkgs) => [['npm', 'install', '--global', '--no-audit', '--no-fund', '--fetch-retries=1', ...pkgs]],
    missing: (out) => firstMatch(out, [/'([^']+)' is not in (?:this|the npm) registry/, /404 Not Found - GET https?:\/\/\S+\/(\S+?) - Not found/, /No matching version found for (\S+)\./]),
  },
  pip: {
    tool: 'pip3',
    debian: ['python3-pip'],
    registry: 'pypi.org',
    probe: 'https://pypi.org/simple/',
    // One retry: with none pip does not say why the index gave it nothing (a refused connection reads as "no versions").
    commands: (pkgs) => [['pip3', 'install', '--no-input', '--retries', '1', '--timeout', '20', ...pkgs]],
    missing: (out) => firstMatch(out, [/No matching distribution found for (\S+)/]),
  },
};

/** Output that says the registry was not reached (DNS, refused, the proxy's own refusal), whatever the manager. */
const UNREACHABLE = /Could not resolve|Temporary failure (?:in name )?resolving|Failed to establish a new connection|NameResolutionError|ProxyError|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|Connection refused|Hangar's egress proxy|502 Bad Gateway|403 Forbidden|Failed to fetch|couldn't connect|network is unreachable/i;

/** Variables every install command gets besides the proxy's: no prompts, and pip may install into the system. */
export const INSTALL_ENV = ['DEBIAN_FRONTEND=noninteractive', 'PIP_BREAK_SYSTEM_PACKAGES=1', 'PIP_DISABLE_PIP_VERSION_CHECK=1', 'GOBIN=/usr/local/bin', 'GOPATH=/tmp/go', 'GOCACHE=/tmp/go-cache', 'npm_config_update_notifier=false'];

/** The environment's packages with each list deduplicated and sorted (the cache key must not depend on order); null when there are none. */
export function packageSetOf(packages: Packages): PackageSet | null {
  const set = Object.fromEntries(MANAGERS.map((m) => [m, [...new Set(packages[m])].sort()])) as PackageSet;
  return MANAGERS.some((m) => set[m].length > 0) ? set : null;
}

/** "apt: jq, ripgrep; npm: cowsay" */
export function describePackages(set: PackageSet): string {
  return MANAGERS.filter((m) => set[m].length > 0)
    .map((m) => `${m}: ${set[m].join(', ')}`)
    .join('; ');
}

/** The sentence a failed install step becomes: which package is missing, or which registry was not reached. */
export function installFailure(manager: Manager, packages: readonly string[], exitCode: number, output: string): string {
  const recipe = RECIPES[manager];
  const tail = output.trim().split('\n').slice(-15).join('\n');
  // A registry that was not reached makes every package look missing: that is said first.
  const missing = UNREACHABLE.test(output) ? null : recipe.missing(output);
  if (missing) return `the ${manager} package "${missing}" does not exist in ${recipe.registry} (or has no version that installs here). Fix the environment's packages.${manager} list.\n${tail}`;
  if (UNREACHABLE.test(output)) {
    return `installing ${manager} packages (${packages.join(', ')}) failed: ${recipe.registry} could not be reached through the egress proxy (check the environment's networking and that this machine reaches ${recipe.registry}).\n${tail}`;
  }
  return `installing ${manager} packages (${packages.join(', ')}) failed with exit code ${exitCode}.\n${tail}`;
}
