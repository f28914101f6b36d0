import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { DecisionView } from '../src/components/decision-view.tsx';

describe('DecisionView', () => {
  const decision = {
    about: 'tool-choice',
    chosen: 'summarize_dataset',
    reason: 'UCB1: summarize_dataset has the highest upper bound',
    options: [
      {
        id: 'summarize_csv_fast',
        label: 'summarize_csv_fast',
        score: 0.41234,
        detail: { trials: 1, mean: 0, learnedCost: 1.2 },
      },
      { id: 'summarize_dataset', label: 'summarize_dataset', score: 1.5, detail: { trials: 1, mean: 1 } },
      { id: 'untried', label: 'untried tool', score: null },
    ],
  };

  it('shows every option with its score and the statistics behind it', () => {
    render(<DecisionView decision={decision} />);
    const rows = within(screen.getByRole('table')).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent('summarize_csv_fast');
    expect(rows[0]).toHaveTextContent('0.412');
    expect(rows[0]).toHaveTextContent('trials 1 · mean 0 · learnedCost 1.2');
    expect(rows[1]).toHaveTextContent('1.500');
    // An option without a score says so rather than showing 0.
    expect(rows[2]).toHaveTextContent('–');
  });

  it('marks the chosen option, and only it, and gives the reason', () => {
    render(<DecisionView decision={decision} />);
    const rows = within(screen.getByRole('table')).getAllByRole('row').slice(1);
    expect(rows.map((row) => row.getAttribute('aria-current'))).toEqual([null, 'true', null]);
    expect(rows[1]).toHaveTextContent('✓ chosen');
    expect(screen.getByText(/highest upper bound/)).toBeInTheDocument();
    expect(screen.getByLabelText('decision: tool-choice')).toBeInTheDocument();
  });

  it('says when nothing was chosen', () => {
    render(<DecisionView decision={{ ...decision, chosen: null }} />);
    expect(screen.getByText(/nothing chosen/)).toBeInTheDocument();
    expect(screen.queryByText(/✓ chosen/)).toBeNull();
  });
});
