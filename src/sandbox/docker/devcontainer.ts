import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import * as z from 'zod';
import { canonicalize, isWithin } from '../../tools/paths';
import { listRepository } from '../repo/listing';
import type { Docker } from './client';
import { checkWorkspaceFolder, refusedSettings } from './devcontainer-settings';
import { DevcontainerError, classifyEngineError, isNotFound } from './errors';
import { FeatureOptions } from './features';

// A repository's .devcontainer/devcontainer.json (or .devcontainer.json): the image (pulled when the engine lacks it)
// or a Dockerfile build (tagged by a hash of its inputs, so an unchanged definition is built once), features
// (features.ts, installed into a derived image by feature-image.ts), containerEnv and remoteEnv with the spec's
// variables, remoteUser/containerUser, workspaceFolder and the lifecycle commands (devcontainer-settings.ts). The reference implementation (@devcontainers/cli) ships as a bundled command line
// without a library API, so the spec's subset is read here.

const Command = z.union([z.string(), z.array(z.string()), z.record(z.string(), z.union([z.string(), z.array(z.string())]))]);

export const DevcontainerSpec = z.looseObject({
  image: z.string().min(1).optional(),
  build: z
    .looseObject({
      dockerfile: z.string().min(1),
      context: z.string().default('.'),
      args: z.record(z.string(), z.string()).default({}),
    })
    .optional(),
  dockerFile: z.string().min(1).optional(),
  context: z.string().optional(),
  dockerComposeFile: z.union([z.string(), z.array(z.string())]).optional(),
  containerEnv: z.record(z.string(), z.string()).default({}),
  remoteEnv: z.record(z.string(), z.string().nullable()).default({}),
  remoteUser: z.string().min(1).optional(),
  containerUser: z.string().min(1).optional(),
  workspaceFolder: z.string().optional(),
  onCreateCommand: Command.optional(),
  updateContentCommand: Command.optional(),
  postCreateCommand: Command.optional(),
  postStartCommand: Command.optional(),
  postAttachCommand: Command.optional(),
  features: z.record(z.string(), FeatureOptions).default({}),
  overrideFeatureInstallOrder: z.array(z.string()).default([]),
});
export type DevcontainerSpec = z.infer<typeof DevcontainerSpec>;

export interface Devcontainer {
  /** The repository it came from: a build may read nothing outside it. */
  repo: string;
  /** Directory holding devcontainer.json: relative paths in it resolve from here. */
  dir: string;
  file: string;
  spec: DevcontainerSpec;
  /** Settings it has that Hangar does not apply, each with the reason (told to the user when the sandbox starts). */
  refused: string[];
}

const LOCATIONS = [path.join('.devcontainer', 'devcontainer.json'), '.devcontainer.json'];

export async function readDevcontainer(repoPath: string): Promise<Devcontainer | null> {
  for (const rel of LOCATIONS) {
    const file = path.join(repoPath, rel);
    const text = await fs.readFile(file, 'utf8').catch(() => null);
    if (text === null) continue;
    const errors: ParseError[] = [];
    const raw: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
    if (errors.length > 0) {
      const first = errors[0] as ParseError;
      throw new DevcontainerError(`${rel} is not valid JSON with comments: ${printParseErrorCode(first.error)} at offset ${first.offset}`);
    }
    const parsed = DevcontainerSpec.safeParse(raw);
    if (!parsed.success) throw new DevcontainerError(`${rel}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    checkWorkspaceFolder(parsed.data);
    return { repo: repoPath, dir: path.dirname(file), file, spec: parsed.data, refused: refusedSettings(parsed.data) };
  }
  return null;
}

/** The image the devcontainer asks for, building it when it names a Dockerfile. */
export async function devcontainerImage(docker: Docker, dc: Devcontainer, onProgress?: (m: string) => void): Promise<string> {
  const dockerfile = dc.spec.build?.dockerfile ?? dc.spec.dockerFile;
  if (dockerfile) return buildDevcontainer(docker, dc, dockerfile, onProgress);
  if (!dc.spec.image && dc.spec.dockerComposeFile) {
    throw new DevcontainerError(
      `${path.basename(dc.file)} uses dockerComposeFile, which Hangar does not run: a session gets one hardened container, not a Compose project. ` +
        'Give the devcontainer an "image" or a "build.dockerfile" for the service the agent works in.',
    );
  }
  if (!dc.spec.image) throw new DevcontainerError(`${path.basename(dc.file)} names neither "image" nor "build.dockerfile"`);
  try {
    await docker.getImage(dc.spec.image).inspect();
  } catch (err) {
    if (!isNotFound(err)) throw classifyEngineError(err);
    await pullImage(docker, dc.spec.image, onProgress);
  }
  return dc.spec.image;
}

/** Pulls an image the engine lacks, with its progress; a failure says what the engine answered and what to do. */
async function pullImage(docker: Docker, image: string, onProgress?: (m: string) => void): Promise<void> {
  onProgress?.(`Pulling the devcontainer image ${image}`);
  try {
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null, output: Array<{ error?: string }>) => {
          const failed = err?.message ?? output.find((o) => o.error)?.error;
          if (failed) reject(new Error(failed));
          else resolve();
        },
        (event: { status?: string; id?: string; progress?: string }) => {
          if (event.status && !event.progress) onProgress?.(`${event.id ? `${event.id}: ` : ''}${event.status}`);
        },
      );
    });
  } catch (err) {
    throw new DevcontainerError(
      `the devcontainer image ${image} is not in the Docker engine, and pulling it failed: ${classifyEngineError(err).message.trim()}. ` +
        `Make it available to the engine (docker pull or docker load on a machine that reaches its registry), or point "image" at one the engine has.`,
    );
  }
}

async function buildDevcontainer(docker: Docker, dc: Devcontainer, dockerfile: string, onProgress?: (m: string) => void): Promise<string> {
  const givenContext = dc.spec.build?.context ?? dc.spec.context ?? '.';
  const context = await insideRepository(dc, givenContext, 'build.context');
  const dockerfileAbs = await insideRepository(dc, dockerfile, 'build.dockerfile');
  if (!isWithin(context, dockerfileAbs)) throw new DevcontainerError(`the Dockerfile ${dockerfile} lies outside the build context ${givenContext}`);
  const dockerfileRel = path.relative(context, dockerfileAbs).split(path.sep).join('/');
  const args = dc.spec.build?.args ?? {};
  const { files } = await listRepository(context);
  const src = [...new Set([...files, dockerfileRel])].sort();
  // The tag hashes what the build reads: the Dockerfile's bytes, the args, and the context files by size and
  // mtime (reading a whole repository on every provision would cost more than the build cache saves).
  const h = createHash('sha256').update(JSON.stringify({ dockerfileRel, args })).update(await fs.readFile(dockerfileAbs));
  for (const f of src) {
    const st = await fs.stat(path.join(context, f)).catch(() => null);
    if (st) h.update(`${f}\0${st.size}\0${st.mtimeMs}\0`);
  }
  const tag = `hangar-devcontainer:${h.digest('hex').slice(0, 16)}`;
  try {
    await docker.getImage(tag).inspect();
    return tag;
  } catch (err) {
    if (!isNotFound(err)) throw classifyEngineError(err);
  }
  onProgress?.(`Building the devcontainer image ${tag}`);
  const stream = await docker.buildImage({ context, src }, { t: tag, dockerfile: dockerfileRel, buildargs: args, rm: true, forcerm: true });
  const log: string[] = [];
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
        const failed = err?.message ?? output.find((o) => o.error || o.errorDetail)?.error;
        if (failed) reject(new DevcontainerError(`building ${path.relative(dc.dir, dockerfileAbs)} failed: ${failed}\n${log.slice(-15).join('')}`));
        else resolve();
      },
      (event: { stream?: string }) => {
        if (event.stream) {
          log.push(event.stream);
          if (event.stream.trim()) onProgress?.(event.stream.trim());
        }
      },
    );
  });
  return tag;
}

/**
 * The physical path of a path devcontainer.json names, refused unless it stays inside the repository once symlinks
 * are resolved: the build sends its context to the engine and the image (read by the agent) may copy any of it, so a
 * repository cloned from anywhere must not reach the user's home (`"context": "../../.."`, or a link pointing out).
 */
async function insideRepository(dc: Devcontainer, given: string, field: string): Promise<string> {
  const [repo, target] = await Promise.all([canonicalize(path.resolve(dc.repo)), canonicalize(path.resolve(dc.dir, given))]);
  if (!isWithin(repo, target)) {
    throw new DevcontainerError(
      `${path.relative(dc.repo, dc.file)}: ${field} ${JSON.stringify(given)} resolves to ${target}, outside the repository ${repo}. ` +
        'A devcontainer build may read only files inside the repository; point it at a folder in the repository.',
    );
  }
  return target;
}
