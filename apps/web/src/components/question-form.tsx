/** A question the run asked its user (`ask_user`), and a form to answer it (`POST /v1/runs/:id/input`). */
import { useState } from 'react';

/** Props of {@link QuestionForm}. */
export interface QuestionFormProps {
  question: string;
  canAnswer: boolean;
  onAnswer(answer: string): Promise<void>;
}

/** The question, and for operators the answer box. */
export function QuestionForm({ question, canAnswer, onAnswer }: QuestionFormProps) {
  const [answer, setAnswer] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const submit = async (): Promise<void> => {
    if (!answer.trim()) return;
    setBusy(true);
    setError(undefined);
    try {
      await onAnswer(answer.trim());
      setAnswer('');
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="question" aria-label="question from the agent">
      <header>
        <strong>The agent asks</strong>
      </header>
      <p className="question-text">{question}</p>
      {canAnswer ? (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
        >
          <label>
            Your answer
            <textarea value={answer} onChange={(event) => setAnswer(event.target.value)} rows={2} />
          </label>
          <button type="submit" className="primary" disabled={busy || !answer.trim()}>
            Send answer
          </button>
          {error ? (
            <p role="alert" className="bad">
              {error}
            </p>
          ) : null}
        </form>
      ) : null}
    </section>
  );
}
