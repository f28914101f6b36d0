import { describe, expect, it } from 'vitest';
import { createWakeup } from './wakeup.ts';

describe('wakeup', () => {
  it('wakes waiters at once, and never loses a notification made between a look and a wait', async () => {
    const wakeup = createWakeup();
    const seen = wakeup.generation;
    wakeup.notify();
    // Both would sleep past the test's timeout if a notification were lost.
    await wakeup.wait(600_000, seen);
    const waiting = wakeup.wait(600_000, wakeup.generation);
    wakeup.notify();
    await waiting;
    expect(wakeup.generation).toBe(seen + 2);
  });

  it('returns on its timeout or when its signal aborts', async () => {
    const wakeup = createWakeup();
    await wakeup.wait(5, wakeup.generation);
    const controller = new AbortController();
    const waiting = wakeup.wait(60_000, wakeup.generation, controller.signal);
    controller.abort();
    await waiting;
  });
});
