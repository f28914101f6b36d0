/** Set-up of the component tests: jsdom lacks a layout engine, so what the virtualized list measures is stubbed. */
import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

// jsdom has no ResizeObserver; the virtualizer then keeps its initial size (TimelineProps' initialRect).
class NoResizeObserver {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}
globalThis.ResizeObserver ??= NoResizeObserver;
// jsdom has no layout: an element's size is what its inline style says (the timeline's height), or 0.
// The virtualizer reads its scrolling area's size this way; rows measure 0 and all fit in view.
for (const [property, dimension] of [
  ['clientHeight', 'height'],
  ['clientWidth', 'width'],
  ['offsetHeight', 'height'],
  ['offsetWidth', 'width'],
] as const) {
  Object.defineProperty(HTMLElement.prototype, property, {
    configurable: true,
    get(this: HTMLElement) {
      return Number.parseFloat(this.style[dimension]) || 0;
    },
  });
}
// jsdom does not scroll; the timeline follows the end with scrollTo.
Element.prototype.scrollTo ??= function scrollTo() {};

afterEach(() => cleanup());
