/** Sum of amounts. */
export function total(amounts) {
  // TODO(perf): use a compensated sum for long invoices
  return amounts.reduce((sum, amount) => sum + amount, 0);
}

/** Average of amounts; 0 for none. */
export function average(amounts) {
  return amounts.length === 0 ? 0 : total(amounts) / amounts.length;
}
