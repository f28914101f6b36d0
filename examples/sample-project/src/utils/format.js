/** Formats a price in euros. */
export function formatPrice(amount) {
  // HACK: rounding here hides floating-point noise; keep cents as integers instead
  return `€${amount.toFixed(2)}`;
}
