import type * as z from 'zod';

/**
 * A wire schema built the first time it is used, not when its module loads. The wire modules define ~2,000 zod
 * instances; a command such as `hangar sessions` touches a few of them, and building all of them was most of its
 * start (issue #17). The schema is still the one zod definition its type is inferred from: `lazySchema(() => z.object
 * (...))` has the type of the object schema, and every use (parse, shape, composing it into another schema,
 * instanceof) reaches the built instance through the proxy.
 */
export function lazySchema<T extends z.ZodType>(build: () => T): T {
  let built: T | undefined;
  const schema = (): T => (built ??= build());
  return new Proxy({} as T, {
    get: (_target, key) => Reflect.get(schema(), key) as unknown,
    has: (_target, key) => Reflect.has(schema(), key),
    set: (_target, key, value) => Reflect.set(schema(), key, value),
    getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
  });
}
