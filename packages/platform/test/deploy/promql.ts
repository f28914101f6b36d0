import { parser } from '@prometheus-io/lezer-promql';

/** Kind of a metric family: histograms also expose `_bucket`, `_sum` and `_count` series. */
type MetricType = 'counter' | 'gauge' | 'histogram';

interface MetricFamily {
  type: MetricType;
  labels: readonly string[];
}

/**
 * The metrics Autonoma exposes (issue 14; prom-client, Prometheus naming) — what dashboards and alert
 * rules may refer to. The `autonoma_process_*`/`autonoma_nodejs_*` entries are prom-client's default
 * metrics with the `autonoma_` prefix (only those the dashboard uses); `up` is Prometheus' own.
 */
export const metricCatalog: Readonly<Record<string, MetricFamily>> = {
  autonoma_runs_total: { type: 'counter', labels: ['status', 'agent'] },
  autonoma_runs: { type: 'gauge', labels: ['status'] },
  autonoma_run_duration_seconds: { type: 'histogram', labels: ['status'] },
  autonoma_step_duration_seconds: { type: 'histogram', labels: [] },
  autonoma_tool_call_duration_seconds: { type: 'histogram', labels: ['tool', 'outcome'] },
  autonoma_model_calls_total: { type: 'counter', labels: ['model', 'outcome'] },
  autonoma_model_tokens_total: { type: 'counter', labels: ['model', 'direction'] },
  autonoma_model_cost_usd_total: { type: 'counter', labels: ['model'] },
  autonoma_queue_depth: { type: 'gauge', labels: ['priority'] },
  autonoma_queue_oldest_job_age_seconds: { type: 'gauge', labels: ['priority'] },
  autonoma_workers_alive: { type: 'gauge', labels: [] },
  autonoma_lease_losses_total: { type: 'counter', labels: [] },
  autonoma_fenced_commits_total: { type: 'counter', labels: [] },
  autonoma_sweeper_requeues_total: { type: 'counter', labels: [] },
  autonoma_approvals_waiting: { type: 'gauge', labels: [] },
  autonoma_http_request_duration_seconds: { type: 'histogram', labels: ['route', 'method', 'status'] },
  autonoma_rate_limited_total: { type: 'counter', labels: [] },
  autonoma_login_failures_total: { type: 'counter', labels: [] },
  autonoma_process_cpu_seconds_total: { type: 'counter', labels: [] },
  autonoma_process_resident_memory_bytes: { type: 'gauge', labels: [] },
  autonoma_nodejs_eventloop_lag_p99_seconds: { type: 'gauge', labels: [] },
  up: { type: 'gauge', labels: [] },
};

/**
 * Labels every scraped series carries: Prometheus' target labels, the `service` and `pool` labels that
 * deploy/prometheus/prometheus.yml adds, and the namespace/pod labels of Kubernetes discovery.
 */
export const targetLabels: readonly string[] = ['job', 'instance', 'service', 'pool', 'namespace', 'pod'];

/** The metric family of a series name (`x_bucket` → `x` for a histogram), and its labels. */
function familyOf(series: string): { family: string; labels: readonly string[] } | undefined {
  const exact = metricCatalog[series];
  if (exact !== undefined && exact.type !== 'histogram') return { family: series, labels: exact.labels };
  const match = /^(.*)_(bucket|sum|count)$/.exec(series);
  const histogram = match?.[1] === undefined ? undefined : metricCatalog[match[1]];
  if (match?.[1] === undefined || histogram?.type !== 'histogram') return undefined;
  return { family: match[1], labels: match[2] === 'bucket' ? [...histogram.labels, 'le'] : histogram.labels };
}

/** Grafana's built-in range variables, replaced by a typical value so that the expression parses. */
export function substituteGrafanaVariables(expression: string): string {
  return expression
    .replaceAll('$__rate_interval', '5m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', '1h');
}

/** What a PromQL expression refers to, and what is wrong with it. */
export interface PromqlReport {
  /** Metric families the expression reads. */
  families: string[];
  /** Syntax errors, unknown metrics, unknown labels. Empty when the expression is sound. */
  problems: string[];
}

type Node = NonNullable<ReturnType<typeof parser.parse>['topNode']['firstChild']>;

function children(node: Node): Node[] {
  const result: Node[] = [];
  for (let child = node.firstChild; child !== null; child = child.nextSibling) result.push(child);
  return result;
}

function descendants(node: Node, name: string): Node[] {
  const result: Node[] = [];
  const visit = (current: Node): void => {
    for (const child of children(current)) {
      if (child.name === name) result.push(child);
      visit(child);
    }
  };
  visit(node);
  return result;
}

/**
 * Parses a PromQL expression with Prometheus' own grammar (lezer-promql) and checks it against the
 * metric catalog: every selected metric must exist (histogram suffixes only on histograms), every label
 * matcher and every `by`/`without` label must be a label of the metrics involved or a target label.
 */
export function checkPromql(expression: string): PromqlReport {
  const source = substituteGrafanaVariables(expression);
  const tree = parser.parse(source);
  const problems: string[] = [];
  const families = new Set<string>();
  const text = (node: Node): string => source.slice(node.from, node.to);

  tree.iterate({
    enter: (node) => {
      if (node.type.isError)
        problems.push(`syntax error at ${node.from}: ${source.slice(node.from, node.from + 20)}`);
    },
  });
  const top = tree.topNode as Node;

  const selectorLabels = new Map<Node, readonly string[]>();
  for (const selector of [top, ...descendants(top, 'VectorSelector')].filter(
    (n) => n.name === 'VectorSelector',
  )) {
    const identifier = children(selector).find((child) => child.name === 'Identifier');
    if (identifier === undefined) {
      problems.push(`a selector without a metric name: ${text(selector)}`);
      continue;
    }
    const found = familyOf(text(identifier));
    if (found === undefined) {
      problems.push(`unknown metric ${text(identifier)}`);
      continue;
    }
    families.add(found.family);
    const allowed = [...found.labels, ...targetLabels];
    selectorLabels.set(selector, allowed);
    for (const matcher of descendants(selector, 'LabelName')) {
      if (!allowed.includes(text(matcher)))
        problems.push(`${text(identifier)} has no label ${text(matcher)}`);
    }
  }

  for (const aggregate of descendants(top, 'AggregateExpr')) {
    const modifier = children(aggregate).find((child) => child.name === 'AggregateModifier');
    if (modifier === undefined) continue;
    const inner = new Set<string>();
    for (const [selector, labels] of selectorLabels) {
      if (selector.from >= aggregate.from && selector.to <= aggregate.to)
        for (const label of labels) inner.add(label);
    }
    for (const label of descendants(modifier, 'LabelName')) {
      if (!inner.has(text(label))) problems.push(`grouping by ${text(label)}, which no metric inside has`);
    }
  }
  return { families: [...families], problems };
}
