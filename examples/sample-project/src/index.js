import { total } from './utils/math.js';
import { formatPrice } from './utils/format.js';

// TODO: load the catalogue from the database instead of this constant
const catalogue = { widget: 9.99, gadget: 24.5, gizmo: 49 };

/** Price of one unit of a SKU. */
export function priceOf(sku) {
  const price = catalogue[sku];
  // FIXME: unknown SKUs should raise an error, not cost nothing
  return price ?? 0;
}

/** Invoice text for lines of `{ sku, units, unitPrice }`. */
export function invoice(lines) {
  const amount = total(lines.map((line) => line.units * line.unitPrice));
  return `Total: ${formatPrice(amount)}`;
}
