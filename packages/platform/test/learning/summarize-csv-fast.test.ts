import { describe, expect, it } from 'vitest';
import { splitSimpleCsv } from '../../src/tools/skills/summarize-csv-fast.ts';
import { callSkill, contextFor, makeWorkspace, skill } from '../skills/skill-harness.ts';

describe('summarize_csv_fast', () => {
  it('splits simple CSV, unwrapping plainly quoted fields', () => {
    expect(splitSimpleCsv('a,b\n1,"x"\n2,y\n')).toEqual({
      columns: ['a', 'b'],
      rows: [
        ['1', 'x'],
        ['2', 'y'],
      ],
    });
  });

  it('refuses quoted fields that hold a delimiter, a newline or an escaped quote, and ragged rows', () => {
    expect(() => splitSimpleCsv('a,b\n1,"x, y"\n')).toThrow(/line 2: a quoted field continues/);
    expect(() => splitSimpleCsv('a,b\n1,"x\ny"\n')).toThrow(/line 2: a quoted field continues/);
    expect(() => splitSimpleCsv('a,b\n1,"say ""hi"""\n')).toThrow(/unsupported|quote/);
    expect(() => splitSimpleCsv('a,b\n1,2,3\n')).toThrow(/3 fields where the header has 2/);
  });

  it('summarizes examples/sales.csv like summarize_dataset and fails on examples/orders.csv', async () => {
    const { workspace, cleanup } = await makeWorkspace({ withExamples: true });
    try {
      const context = contextFor(workspace);
      const fast = await callSkill<Record<string, unknown>>(
        skill('summarize_csv_fast'),
        { path: 'examples/sales.csv' },
        context,
      );
      const tolerant = await callSkill<Record<string, unknown>>(
        skill('summarize_dataset'),
        { path: 'examples/sales.csv' },
        context,
      );
      expect(fast['columns']).toEqual(tolerant['columns']);
      expect(fast['rows']).toBe(16);
      await expect(
        callSkill(skill('summarize_csv_fast'), { path: 'examples/orders.csv' }, context),
      ).rejects.toMatchObject({ code: 'unsupported_csv' });
      const orders = await callSkill<Record<string, unknown>>(
        skill('summarize_dataset'),
        { path: 'examples/orders.csv' },
        context,
      );
      expect(orders['rows']).toBe(16);
    } finally {
      await cleanup();
    }
  });
});
