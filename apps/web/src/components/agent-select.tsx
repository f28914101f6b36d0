/** The agent a new run, schedule or conversation goes to: the organization's agents by name. */
import { useAgents } from '../api/queries.ts';

/** A `<select>` of agent names; `''` is the default agent (listed once, first). */
export function AgentSelect({ value, onChange }: { value: string; onChange: (name: string) => void }) {
  const agents = useAgents();
  return (
    <select value={value} onChange={(event) => onChange(event.target.value)}>
      <option value="">default</option>
      {agents.data?.items
        .filter((item) => item.name !== 'default')
        .map((item) => (
          <option key={item.id} value={item.name}>
            {item.name}
          </option>
        ))}
    </select>
  );
}
