// Natural order for file paths and names: digit runs compare as numbers, so file2 sorts before file10. Browser-safe
// (the webview's changed-files list and the sidebar tree share it).

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

export function naturalCompare(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** A sorted copy, by the natural order of each item's key. */
export function naturalSort<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...items].sort((x, y) => naturalCompare(key(x), key(y)));
}
