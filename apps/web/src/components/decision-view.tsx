/**
 * One decision of a run: what was decided, every option the agent weighed with its score and the
 * statistics behind it (trials, mean reward, learned cost…), which one it chose, and why.
 */
import type { EventOf } from '../api/types.ts';
import { score } from '../format.ts';
import { formatValue } from './json-value.tsx';

type Decision = Pick<
  EventOf<'decision'>,
  'about' | 'options' | 'chosen' | 'reason' | 'choices' | 'scoring' | 'reasonSource'
>;

const detailText = (detail: Record<string, unknown> | undefined): string =>
  Object.entries(detail ?? {})
    .map(
      ([key, value]) => `${key} ${typeof value === 'number' ? Number(value.toFixed(3)) : formatValue(value)}`,
    )
    .join(' · ');

/**
 * The decision, its options as a table, the choice (or choices: a model may call several tools at
 * once) marked, what the scores mean, and the reason — a model's own words are marked as such. All of
 * it is text: a model's reason is untrusted.
 */
export function DecisionView({ decision }: { decision: Decision }) {
  const chosen = decision.choices ?? (decision.chosen === null ? [] : [decision.chosen]);
  const isChosen = (id: string, label: string): boolean => chosen.includes(id) || chosen.includes(label);
  return (
    <section className="decision" aria-label={`decision: ${decision.about}`}>
      <header>
        <strong>Decision</strong> <span className="muted">{decision.about}</span>
        {decision.chosen === null ? <span className="muted"> · nothing chosen</span> : null}
        {decision.choices ? <span className="muted"> · chose {decision.choices.join(', ')}</span> : null}
      </header>
      {decision.scoring ? <p className="muted scoring">{decision.scoring}</p> : null}
      {decision.options.length > 0 ? (
        <table className="options">
          <thead>
            <tr>
              <th scope="col">option</th>
              <th scope="col">score</th>
              <th scope="col">why this score</th>
            </tr>
          </thead>
          <tbody>
            {decision.options.map((option) => {
              const chosen = isChosen(option.id, option.label);
              return (
                <tr
                  key={option.id}
                  className={chosen ? 'chosen' : undefined}
                  aria-current={chosen ? 'true' : undefined}
                >
                  <td>
                    {chosen ? <span className="chosen-mark">✓ chosen </span> : null}
                    {option.label}
                  </td>
                  <td className="number">{score(option.score)}</td>
                  <td className="muted">{detailText(option.detail)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      <p className="reason">
        <span className="muted">
          {decision.reasonSource === 'model' ? "reason (the model's words): " : 'reason: '}
        </span>
        {decision.reason}
      </p>
    </section>
  );
}
