import { promises as fsp } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { AlreadyExistsError, InvalidIdError, InvalidValueError, StoreCorruptError, VersionConflictError } from './errors';
import { fsyncDir, isErrno, isTmpName, mkdirDurable, readdirOrEmpty, writeFileAtomic, writeFileExclusive } from './fsutil';
import { readJsonFile } from './json-file';
import { collectPage, decodeCursor, encodeCursor, parsePageOptions, type Page, type PageOptions } from './paging';

/** What the stores need of a value: listing order is created_at, then id. */
export interface StoredObject {
  id: string;
  created_at: string;
}

export interface ListPaging<T> extends PageOptions {
  /** Applied before paging, so pages stay full. */
  where?: (value: T) => boolean;
}

export interface Versioned<T> {
  version: number;
  value: T;
}

// One path segment of safe characters: ids come from API paths, so `..`, separators and NUL must not get through.
const SEGMENT = /^[A-Za-z0-9_-]{1,128}$/;
const VERSION_FILE = /^[1-9]\d{0,8}\.json$/;

function checkSegment(what: string, value: string): void {
  if (!SEGMENT.test(value)) throw new InvalidIdError(`${what} ${JSON.stringify(value).slice(0, 80)} is not a valid id`);
}

function validate<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidValueError(z.prettifyError(parsed.error));
  return parsed.data;
}

function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T | null> {
  return readJsonFile(file, schema, (m) => new StoreCorruptError(m));
}

// Listing reads every file; a bound on concurrent reads keeps a big store from running out of file descriptors.
const READ_CONCURRENCY = 32;

async function mapLimit<A, B>(items: readonly A[], fn: (item: A) => Promise<B>): Promise<B[]> {
  const out: B[] = new Array<B>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, items.length) }, worker));
  return out;
}

function compareCreated(a: StoredObject, b: StoredObject): number {
  const ta = Date.parse(a.created_at);
  const tb = Date.parse(b.created_at);
  if (ta !== tb && !Number.isNaN(ta) && !Number.isNaN(tb)) return ta < tb ? -1 : 1;
  if (a.created_at !== b.created_at && (Number.isNaN(ta) || Number.isNaN(tb))) return a.created_at < b.created_at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Pages `items` in (created_at, id) order; the cursor is that pair of the last item. */
function pageByCreated<T>(
  items: T[],
  keyOf: (item: T) => StoredObject,
  kind: string,
  opts: PageOptions,
  where: ((item: T) => boolean) | undefined,
): Page<T> {
  const { order, limit, after } = parsePageOptions(opts);
  const sorted = [...items].sort((a, b) => compareCreated(keyOf(a), keyOf(b)));
  let start = order === 'asc' ? 0 : sorted.length - 1;
  if (after) {
    const [created_at, id] = decodeCursor(after, kind, order, z.tuple([z.string(), z.string()]));
    const key = { created_at, id };
    if (order === 'asc') {
      const i = sorted.findIndex((item) => compareCreated(keyOf(item), key) > 0);
      start = i === -1 ? sorted.length : i;
    } else {
      start = sorted.findLastIndex((item) => compareCreated(keyOf(item), key) < 0);
    }
  }
  return collectPage({
    count: sorted.length,
    at: (i) => sorted[i]!,
    start,
    step: order === 'asc' ? 1 : -1,
    limit,
    match: where,
    cursorOf: (item) => encodeCursor(kind, order, [keyOf(item).created_at, keyOf(item).id]),
  });
}

/** JSON objects at `<root>/<kind>/<id>.json`, each replaced atomically. */
export class JsonStore<T extends StoredObject> {
  readonly dir: string;

  constructor(
    root: string,
    readonly kind: string,
    private readonly schema: z.ZodType<T>,
  ) {
    checkSegment('kind', kind);
    this.dir = path.join(root, kind);
  }

  async get(id: string): Promise<T | null> {
    checkSegment('id', id);
    return readJson(this.file(id), this.schema);
  }

  async put(value: T): Promise<T> {
    const valid = validate(this.schema, value);
    checkSegment('id', valid.id);
    await mkdirDurable(this.dir);
    await writeFileAtomic(this.file(valid.id), JSON.stringify(valid));
    return valid;
  }

  /** Returns whether there was something to delete. */
  async delete(id: string): Promise<boolean> {
    checkSegment('id', id);
    try {
      await fsp.unlink(this.file(id));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
    await fsyncDir(this.dir);
    return true;
  }

  async list(opts: ListPaging<T> = {}): Promise<Page<T>> {
    const names = (await readdirOrEmpty(this.dir)).filter((n) => n.endsWith('.json') && !isTmpName(n) && SEGMENT.test(n.slice(0, -5)));
    const values = await mapLimit(names, (n) => readJson(path.join(this.dir, n), this.schema));
    const present = values.filter((v): v is T => v !== null);
    return pageByCreated(present, (v) => v, `store:${this.kind}`, opts, opts.where);
  }

  private file(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }
}

/**
 * Immutable versions at `<root>/<kind>/<id>/<version>.json`. A version file is created exclusively (link(2), which
 * fails like 'wx'), so of two writers racing for the same version number, in one process or in two, one wins and
 * the other gets VersionConflictError.
 */
export class VersionedStore<T extends StoredObject> {
  readonly dir: string;

  constructor(
    root: string,
    readonly kind: string,
    private readonly schema: z.ZodType<T>,
  ) {
    checkSegment('kind', kind);
    this.dir = path.join(root, kind);
  }

  async create(id: string, value: T): Promise<Versioned<T>> {
    const valid = this.checked(id, value);
    await mkdirDurable(path.join(this.dir, id));
    try {
      await writeFileExclusive(this.file(id, 1), JSON.stringify(valid));
    } catch (err) {
      if (isErrno(err, 'EEXIST')) throw new AlreadyExistsError(`${this.kind}/${id} already exists`);
      throw err;
    }
    return { version: 1, value: valid };
  }

  async latest(id: string): Promise<Versioned<T> | null> {
    checkSegment('id', id);
    const version = (await this.versionNumbers(id)).at(-1);
    return version === undefined ? null : this.get(id, version);
  }

  async get(id: string, version: number): Promise<Versioned<T> | null> {
    checkSegment('id', id);
    if (!Number.isInteger(version) || version < 1) return null;
    const value = await readJson(this.file(id, version), this.schema);
    return value === null ? null : { version, value };
  }

  /** Writes version expectedVersion + 1; VersionConflictError unless expectedVersion is the latest. */
  async putNext(id: string, expectedVersion: number, value: T): Promise<Versioned<T>> {
    const valid = this.checked(id, value);
    const latest = (await this.versionNumbers(id)).at(-1) ?? null;
    if (latest !== expectedVersion) throw new VersionConflictError(id, expectedVersion, latest);
    const version = expectedVersion + 1;
    try {
      await writeFileExclusive(this.file(id, version), JSON.stringify(valid));
    } catch (err) {
      if (isErrno(err, 'EEXIST')) throw new VersionConflictError(id, expectedVersion, version);
      throw err;
    }
    return { version, value: valid };
  }

  /** Versions of one object, oldest first by default; the cursor is the version number. */
  async versions(id: string, opts: PageOptions = {}): Promise<Page<Versioned<T>>> {
    checkSegment('id', id);
    const { order, limit, after } = parsePageOptions(opts);
    const numbers = await this.versionNumbers(id);
    const kind = `versions:${this.kind}`;
    let start = order === 'asc' ? 0 : numbers.length - 1;
    if (after) {
      const v = decodeCursor(after, kind, order, z.number().int().min(1));
      start = order === 'asc' ? numbers.findIndex((n) => n > v) : numbers.findLastIndex((n) => n < v);
      if (start === -1) start = order === 'asc' ? numbers.length : -1;
    }
    const page = collectPage({
      count: numbers.length,
      at: (i) => numbers[i]!,
      start,
      step: order === 'asc' ? 1 : -1,
      limit,
      cursorOf: (n) => encodeCursor(kind, order, n),
    });
    const data = await Promise.all(page.data.map((n) => this.get(id, n)));
    return { data: data.filter((v): v is Versioned<T> => v !== null), next_page: page.next_page };
  }

  /** The latest version of every object, by created_at then id. */
  async list(opts: ListPaging<T> = {}): Promise<Page<Versioned<T>>> {
    const ids = (await readdirOrEmpty(this.dir)).filter((n) => SEGMENT.test(n));
    const latest = await mapLimit(ids, (id) => this.latest(id));
    const present = latest.filter((v): v is Versioned<T> => v !== null);
    const { where } = opts;
    return pageByCreated(present, (v) => v.value, `store:${this.kind}`, opts, where && ((v) => where(v.value)));
  }

  private checked(id: string, value: T): T {
    checkSegment('id', id);
    const valid = validate(this.schema, value);
    if (valid.id !== id) throw new InvalidValueError(`value.id ${valid.id} does not match ${id}`);
    return valid;
  }

  private async versionNumbers(id: string): Promise<number[]> {
    const names = await readdirOrEmpty(path.join(this.dir, id));
    return names
      .filter((n) => VERSION_FILE.test(n))
      .map((n) => Number(n.slice(0, -5)))
      .sort((a, b) => a - b);
  }

  private file(id: string, version: number): string {
    return path.join(this.dir, id, `${version}.json`);
  }
}
