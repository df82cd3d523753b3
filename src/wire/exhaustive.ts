/**
 * Call in the `default` branch of a switch that must decide about every case (every event type, every message
 * type): it only compiles when every case was handled, because only then has `value` narrowed to `never`. A new
 * event type therefore fails to compile where it has to be handled, instead of falling through silently.
 */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)?.slice(0, 200)}`);
}
