// One text form for a cost, used by the sidebar, the status bar, the panel and the CLI, so they never disagree.
// Costs are list-price cents (fractional; see src/wire/fold.ts). Sub-dime amounts keep a third decimal so a small
// model request does not read as free.

export function formatCost(cents: number, estimate = false): string {
  const mark = estimate ? '~' : '';
  if (!Number.isFinite(cents) || cents <= 0) return `${mark}$0.00`;
  if (cents < 0.1) return `${mark}<$0.001`;
  const dollars = cents / 100;
  return `${mark}${dollars < 0.1 ? `$${dollars.toFixed(3)}` : `$${dollars.toFixed(2)}`}`;
}

/** What a cost is: list prices, or an estimate for a model without one (a remote provider that publishes none). */
export function costBasis(estimate: boolean): string {
  return estimate ? 'estimate: no list price for its model' : 'list price';
}
