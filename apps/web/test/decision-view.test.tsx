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

  describe('a model brain decision', () => {
    const hostile = '<img src=x onerror="window.hacked=1"> I will list, then read.';
    const modelDecision = {
      about: 'next-action',
      chosen: 'fs_list',
      choices: ['fs_list', 'fs_read'],
      reason: hostile,
      reasonSource: 'model' as const,
      scoring:
        "score: the mean reward (0 to 1) of the agent's past calls of the tool; learned for fs_list; absent (no calls yet) for fs_read",
      options: [
        {
          id: 'fs_list',
          label: 'fs_list',
          score: 0.9312,
          detail: { learned: true, trials: 4, successes: 4, learnedCost: 1 },
        },
        { id: 'fs_read', label: 'fs_read', score: null, detail: { learned: false } },
        { id: 'fs_write', label: 'fs_write', score: null, detail: { learned: false } },
        { id: '#answer', label: 'answer (no tool call)', score: null, detail: { learned: false } },
      ],
    };

    it('shows the offered tools with their learned or absent scores, and marks every call made', () => {
      const { container } = render(<DecisionView decision={modelDecision} />);
      const rows = within(screen.getByRole('table')).getAllByRole('row').slice(1);
      expect(rows.map((row) => row.getAttribute('aria-current'))).toEqual(['true', 'true', null, null]);
      expect(rows[0]).toHaveTextContent('✓ chosen fs_list');
      expect(rows[0]).toHaveTextContent('0.931');
      expect(rows[0]).toHaveTextContent('learned true · trials 4 · successes 4 · learnedCost 1');
      expect(rows[1]).toHaveTextContent('–');
      expect(rows[1]).toHaveTextContent('learned false');
      expect(rows[3]).toHaveTextContent('answer (no tool call)');
      expect(screen.getByText(/chose fs_list, fs_read/)).toBeInTheDocument();
      expect(screen.getByText(/absent \(no calls yet\) for fs_read/)).toBeInTheDocument();
      expect(container.querySelector('img')).toBeNull();
    });

    it("renders the model's reason as text, marked as the model's words", () => {
      const { container } = render(<DecisionView decision={modelDecision} />);
      const reason = container.querySelector('.reason');
      expect(reason).toHaveTextContent(`reason (the model's words): ${hostile}`);
      expect(reason?.querySelector('img')).toBeNull();
      expect(reason?.children).toHaveLength(1);
      expect((window as { hacked?: number }).hacked).toBeUndefined();
    });

    it('marks the answer when the model answered', () => {
      render(<DecisionView decision={{ ...modelDecision, chosen: '#answer', choices: undefined }} />);
      const rows = within(screen.getByRole('table')).getAllByRole('row').slice(1);
      expect(rows.map((row) => row.getAttribute('aria-current'))).toEqual([null, null, null, 'true']);
    });
  });
});
