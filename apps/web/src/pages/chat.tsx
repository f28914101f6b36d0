/**
 * Chat: a conversation with an agent. Each message starts a run; the reply streams in as the model
 * writes it, and an approval or a question the run waits on appears inline, in the thread.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useAgentName } from '../api/queries.ts';
import { useApi, useCan } from '../api/session.tsx';
import type {
  ConversationDetail,
  ConversationView,
  MessageView,
  Page,
  SentMessageView,
} from '../api/types.ts';
import { useRunEvents } from '../api/use-run-events.ts';
import { AgentSelect } from '../components/agent-select.tsx';
import { ApprovalControls } from '../components/approval-controls.tsx';
import { Markdown } from '../components/markdown.tsx';
import { QuestionForm } from '../components/question-form.tsx';
import { StatusBadge, isTerminal } from '../components/status-badge.tsx';
import { openQuestion, pendingApprovals } from '../components/timeline-model.ts';
import { Link, useRouter } from '../router.tsx';

/** The reply of a turn whose run has not ended: its streamed text, approvals and question. */
function LiveReply({ runId, canAct }: { runId: string; canAct: boolean }) {
  const client = useApi();
  const stream = useRunEvents(runId);
  const pending = useMemo(() => pendingApprovals(stream.events), [stream.events]);
  const question = useMemo(() => openQuestion(stream.events), [stream.events]);
  const text = [...stream.liveText.values()].join('\n\n');
  const path = `/v1/runs/${encodeURIComponent(runId)}`;
  return (
    <div className="live-reply">
      {text ? <Markdown text={text} /> : <p className="muted">…</p>}
      {pending.map((request) => (
        <ApprovalControls
          key={request.callId}
          request={request}
          canDecide={canAct}
          onDecide={async (decision) => {
            await client.request('POST', `${path}/approvals/${encodeURIComponent(request.callId)}`, {
              body: decision,
            });
          }}
        />
      ))}
      {question && !stream.ended ? (
        <QuestionForm
          question={question.question}
          canAnswer={canAct}
          onAnswer={async (answer) => {
            await client.request('POST', `${path}/input`, { body: { answer } });
          }}
        />
      ) : null}
    </div>
  );
}

function Message({ message, canAct }: { message: MessageView; canAct: boolean }) {
  if (message.role === 'user')
    return (
      <div className="message user">
        <p>{message.text}</p>
      </div>
    );
  const active = message.status !== 'pending' && !isTerminal(message.status);
  return (
    <div className="message agent">
      <div className="message-meta">
        <StatusBadge status={message.status} />{' '}
        <Link to={`/runs/${encodeURIComponent(message.runId)}`}>run</Link>
      </div>
      {message.text ? <Markdown text={message.text} /> : null}
      {active ? <LiveReply runId={message.runId} canAct={canAct} /> : null}
      {message.reason && !message.text ? <p className="muted">{message.reason}</p> : null}
    </div>
  );
}

function Conversation({ id }: { id: string }) {
  const client = useApi();
  const queries = useQueryClient();
  const canWrite = useCan('conversations:write');
  const canAct = useCan('runs:write');
  const [text, setText] = useState('');
  const conversation = useQuery({
    queryKey: ['conversation', id],
    queryFn: ({ signal }) =>
      client.get<ConversationDetail>(`/v1/conversations/${encodeURIComponent(id)}`, undefined, signal),
    // Until every turn has ended, the thread refreshes (the live reply streams in between).
    refetchInterval: (query) =>
      query.state.data?.messages.some(
        (message) =>
          message.role === 'agent' && (message.status === 'pending' || !isTerminal(message.status)),
      )
        ? 1_500
        : false,
  });
  const send = useMutation({
    mutationFn: () =>
      client.request<SentMessageView>('POST', `/v1/conversations/${encodeURIComponent(id)}/messages`, {
        body: { text },
      }),
    onSuccess: () => {
      setText('');
      void queries.invalidateQueries({ queryKey: ['conversation', id] });
    },
  });
  if (conversation.error)
    return (
      <p role="alert" className="bad">
        {conversation.error.message}
      </p>
    );
  if (!conversation.data) return <p className="muted">Loading…</p>;
  return (
    <section className="conversation" aria-label="conversation">
      <h2>{conversation.data.title || id}</h2>
      <div className="thread">
        {conversation.data.messages.map((message) => (
          <Message key={`${message.role}:${message.seq}`} message={message} canAct={canAct} />
        ))}
      </div>
      {canWrite ? (
        <form
          className="composer"
          onSubmit={(event) => {
            event.preventDefault();
            if (text.trim()) send.mutate();
          }}
        >
          <label>
            Message
            <textarea value={text} onChange={(event) => setText(event.target.value)} rows={2} />
          </label>
          <button type="submit" className="primary" disabled={send.isPending || !text.trim()}>
            Send
          </button>
          {send.error ? (
            <p role="alert" className="bad">
              {send.error.message}
            </p>
          ) : null}
        </form>
      ) : null}
    </section>
  );
}

/** The chat page: conversations on the side, the open one in the middle. */
export default function ChatPage({ conversationId }: { conversationId: string | undefined }) {
  const client = useApi();
  const queries = useQueryClient();
  const agentName = useAgentName();
  const canWrite = useCan('conversations:write');
  const { navigate } = useRouter();
  const [agent, setAgent] = useState('');
  const [title, setTitle] = useState('');
  const list = useQuery({
    queryKey: ['conversations'],
    queryFn: ({ signal }) => client.get<Page<ConversationView>>('/v1/conversations', { limit: 100 }, signal),
  });
  const create = useMutation({
    mutationFn: () =>
      client.request<ConversationView>('POST', '/v1/conversations', {
        body: { ...(agent ? { agent } : {}), ...(title.trim() ? { title: title.trim() } : {}) },
      }),
    onSuccess: (created) => {
      void queries.invalidateQueries({ queryKey: ['conversations'] });
      navigate(`/chat/${encodeURIComponent(created.id)}`);
    },
  });
  return (
    <section className="split">
      <div>
        <h1>Chat</h1>
        {canWrite ? (
          <form
            className="card"
            aria-label="new conversation"
            onSubmit={(event) => {
              event.preventDefault();
              create.mutate();
            }}
          >
            <label>
              Agent
              <AgentSelect value={agent} onChange={setAgent} />
            </label>
            <label>
              Title
              <input value={title} onChange={(event) => setTitle(event.target.value)} maxLength={200} />
            </label>
            <button type="submit" disabled={create.isPending}>
              New conversation
            </button>
            {create.error ? (
              <p role="alert" className="bad">
                {create.error.message}
              </p>
            ) : null}
          </form>
        ) : null}
        {list.error ? (
          <p role="alert" className="bad">
            {list.error.message}
          </p>
        ) : null}
        <ul className="list-plain">
          {list.data?.items.map((item) => (
            <li key={item.id} className={item.id === conversationId ? 'selected' : undefined}>
              <Link to={`/chat/${encodeURIComponent(item.id)}`}>{item.title || item.id}</Link>{' '}
              <span className="muted">
                {agentName(item.agentId)} · {item.turns} turns
              </span>
            </li>
          ))}
        </ul>
      </div>
      <div>
        {conversationId ? (
          <Conversation key={conversationId} id={conversationId} />
        ) : (
          <p className="muted">Pick or start a conversation.</p>
        )}
      </div>
    </section>
  );
}
