/** `autonoma explain` in the browser: per step, what was recalled, planned, decided and called. */
import type { Explanation } from '../api/types.ts';
import { score } from '../format.ts';
import { DecisionView } from './decision-view.tsx';
import { JsonValue } from './json-value.tsx';
import { Markdown } from './markdown.tsx';

/** The decision trace of a run. */
export function ExplanationView({ explanation }: { explanation: Explanation }) {
  const { summary } = explanation;
  return (
    <section className="explanation" aria-label="explanation">
      <p className="muted">
        {summary.steps} steps · {summary.toolCalls} tool calls ({summary.failedCalls} failed) · plan{' '}
        {summary.planReused ? 'reused' : 'made'} · {summary.replans} replans · {summary.expansions} expansions
        · {summary.recalled} memories recalled
      </p>
      {explanation.steps.map((step) => (
        <article key={step.step} className="card">
          <h3>Step {step.step}</h3>
          {step.recalled.map((recall) => (
            <div key={recall.query}>
              <strong>Recalled</strong> for “{recall.query}”
              <ul>
                {recall.items.map((item) => (
                  <li key={item.id}>
                    {score(item.score)} = relevance {score(item.relevance)} · recency {score(item.recency)} ·
                    importance {score(item.importance)} — [{item.kind}] {item.text}
                  </li>
                ))}
              </ul>
            </div>
          ))}
          {step.plans.map((plan, index) => (
            <p key={index}>
              <strong>Plan{plan.reused ? ' (reused)' : ''}</strong>: {plan.plan.join(' → ')}{' '}
              <span className="muted">
                {plan.expansions !== null ? `[${plan.expansions} expansions] ` : ''}
                {plan.reason}
              </span>
            </p>
          ))}
          {step.decisions.map((decision, index) => (
            <DecisionView key={index} decision={decision} />
          ))}
          {step.calls.map((call) => (
            <div key={call.callId} className="tool-call">
              <strong>Tool</strong> <code>{call.tool}</code>{' '}
              {call.ok === null ? 'no result' : call.ok ? 'ok' : 'failed'}
              {call.args !== undefined ? <JsonValue value={call.args} label="arguments" /> : null}
              {call.result !== undefined ? <JsonValue value={call.result} label="result" /> : null}
              {call.error ? (
                <p className="bad">
                  {call.error.code}: {call.error.message}
                </p>
              ) : null}
            </div>
          ))}
          {step.delegations.map((delegation) => (
            <p key={delegation.childRunId}>
              <strong>Delegated</strong> “{delegation.goal}” to {delegation.agent}:{' '}
              {delegation.status ?? 'open'}
            </p>
          ))}
          {step.budgetWarnings.map((warning) => (
            <p key={warning.budget} className="warning">
              ⚠ {warning.budget}: {warning.used} of {warning.limit}
            </p>
          ))}
          {step.outcome ? <p className="muted">outcome: {step.outcome.kind}</p> : null}
        </article>
      ))}
      {explanation.lessons.length > 0 ? (
        <article className="card">
          <h3>Lessons</h3>
          <ul>
            {explanation.lessons.map((lesson) => (
              <li key={lesson}>{lesson}</li>
            ))}
          </ul>
        </article>
      ) : null}
      {explanation.run.answer ? (
        <article className="card">
          <h3>Answer</h3>
          <Markdown text={explanation.run.answer} />
        </article>
      ) : null}
    </section>
  );
}
