import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, runCommand } from './host-tools.ts';
import { checkPromql } from './promql.ts';
import {
  asList,
  asMapping,
  deployDirectory,
  readDeployYaml,
  repositoryRoot,
  type Mapping,
} from './repository.ts';

/**
 * deploy/prometheus: `promtool check config` and `promtool check rules` (Debian's prometheus package),
 * every alert unit-tested with `promtool test rules` against the scenarios below (it fires when it
 * should, and stays quiet when it should), and every expression checked against the metric catalog.
 */

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const rules: Rule[] = asList(
  asMapping(readDeployYaml('prometheus/alerts.yml'), 'alerts.yml')['groups'],
  'groups',
)
  .flatMap((group) => asList(asMapping(group, 'group')['rules'], 'rules'))
  .map((rule) => asMapping(rule, 'rule') as unknown as Rule);

interface Scenario {
  /** What the scenario shows. */
  name: string;
  alert: string;
  /** Input series (promtool syntax), one sample a minute. */
  series: Record<string, string>;
  /** Minutes after the start at which the alert is evaluated. */
  at: number;
  /** The alerts expected to fire then: their labels besides alertname and severity. Empty: none. */
  fires: Record<string, string>[];
}

const scenarios: Scenario[] = [
  {
    name: 'the last worker stops heartbeating',
    alert: 'AutonomaNoLiveWorkers',
    series: { 'autonoma_workers_alive{job="autonoma-worker",instance="w1"}': '1 1 0x10' },
    at: 6,
    fires: [{}],
  },
  {
    name: 'no process exports the gauge at all',
    alert: 'AutonomaNoLiveWorkers',
    series: { 'up{job="autonoma-api",instance="a1"}': '1x10' },
    at: 5,
    fires: [{}],
  },
  {
    name: 'workers alive',
    alert: 'AutonomaNoLiveWorkers',
    series: { 'autonoma_workers_alive{job="autonoma-worker",instance="w1"}': '2x10' },
    at: 6,
    fires: [],
  },
  {
    name: 'an Autonoma target stops answering scrapes',
    alert: 'AutonomaTargetDown',
    series: {
      'up{job="autonoma-worker",instance="w1:9464"}': '1 0x10',
      'up{job="prometheus",instance="localhost:9090"}': '0x10',
    },
    at: 7,
    fires: [{ job: 'autonoma-worker', instance: 'w1:9464' }],
  },
  {
    name: 'a high job waits 200 s; a low one too, which is normal for low',
    alert: 'AutonomaQueueAgingInteractive',
    series: {
      'autonoma_queue_oldest_job_age_seconds{instance="a1",priority="high"}': '200x10',
      'autonoma_queue_oldest_job_age_seconds{instance="a2",priority="high"}': '200x10',
      'autonoma_queue_oldest_job_age_seconds{instance="a1",priority="low"}': '200x10',
    },
    at: 6,
    fires: [{ priority: 'high' }],
  },
  {
    name: 'a low job waits 2000 s, a normal one 1000 s',
    alert: 'AutonomaQueueAgingBackground',
    series: {
      'autonoma_queue_oldest_job_age_seconds{instance="a1",priority="low"}': '2000x20',
      'autonoma_queue_oldest_job_age_seconds{instance="a1",priority="normal"}': '1000x20',
    },
    at: 16,
    fires: [{ priority: 'low' }],
  },
  {
    name: 'the normal queue grows by 20 jobs a minute; the low queue is long but steady',
    alert: 'AutonomaQueueBacklogGrowing',
    series: {
      'autonoma_queue_depth{instance="a1",priority="normal"}': '0+20x40',
      'autonoma_queue_depth{instance="a1",priority="low"}': '500x40',
    },
    at: 35,
    fires: [{ priority: 'normal' }],
  },
  {
    name: 'runs are running and no step finishes',
    alert: 'AutonomaRunsStuck',
    series: {
      'autonoma_runs{instance="a1",status="running"}': '3x40',
      'autonoma_step_duration_seconds_count{instance="w1"}': '10x40',
    },
    at: 30,
    fires: [{}],
  },
  {
    name: 'runs are running and steps keep finishing',
    alert: 'AutonomaRunsStuck',
    series: {
      'autonoma_runs{instance="a1",status="running"}': '3x40',
      'autonoma_step_duration_seconds_count{instance="w1"}': '0+5x40',
    },
    at: 30,
    fires: [],
  },
  {
    name: 'half of the finished runs fail',
    alert: 'AutonomaFailedRunRatioHigh',
    series: {
      'autonoma_runs_total{instance="w1",agent="a",status="failed"}': '0+5x60',
      'autonoma_runs_total{instance="w1",agent="a",status="succeeded"}': '0+5x60',
    },
    at: 50,
    fires: [{}],
  },
  {
    name: 'one run in ten fails',
    alert: 'AutonomaFailedRunRatioHigh',
    series: {
      'autonoma_runs_total{instance="w1",agent="a",status="failed"}': '0+1x60',
      'autonoma_runs_total{instance="w1",agent="a",status="succeeded"}': '0+9x60',
    },
    at: 50,
    fires: [],
  },
  {
    name: 'a run ends in needs_review',
    alert: 'AutonomaRunsNeedReview',
    series: { 'autonoma_runs_total{instance="w1",agent="a",status="needs_review"}': '0 0 1x10' },
    at: 5,
    fires: [{}],
  },
  {
    name: 'an approval waits over an hour',
    alert: 'AutonomaApprovalsWaiting',
    series: { 'autonoma_approvals_waiting{instance="a1"}': '1x90' },
    at: 65,
    fires: [{}],
  },
  {
    name: 'an approval is answered within half an hour',
    alert: 'AutonomaApprovalsWaiting',
    series: { 'autonoma_approvals_waiting{instance="a1"}': '1x30 0x60' },
    at: 65,
    fires: [],
  },
  {
    name: 'a lease is lost every minute',
    alert: 'AutonomaLeaseLosses',
    series: { 'autonoma_lease_losses_total{instance="w1"}': '0+1x30' },
    at: 25,
    fires: [{}],
  },
  {
    name: 'one lease lost once',
    alert: 'AutonomaLeaseLosses',
    series: { 'autonoma_lease_losses_total{instance="w1"}': '0 0 1x30' },
    at: 25,
    fires: [],
  },
  {
    name: 'a commit is fenced off',
    alert: 'AutonomaFencedCommits',
    series: { 'autonoma_fenced_commits_total{instance="w1"}': '0 0 1x10' },
    at: 5,
    fires: [{}],
  },
  {
    name: 'the sweeper requeues two runs a minute',
    alert: 'AutonomaSweeperRequeuesHigh',
    series: { 'autonoma_sweeper_requeues_total{instance="w1"}': '0+2x30' },
    at: 25,
    fires: [{}],
  },
  {
    name: '10% of requests fail with 500',
    alert: 'AutonomaHttp5xxRatioHigh',
    series: {
      'autonoma_http_request_duration_seconds_count{instance="a1",route="/v1/runs",method="POST",status="500"}':
        '0+10x30',
      'autonoma_http_request_duration_seconds_count{instance="a1",route="/v1/runs",method="POST",status="201"}':
        '0+90x30',
    },
    at: 25,
    fires: [{}],
  },
  {
    name: '1% of requests fail with 500',
    alert: 'AutonomaHttp5xxRatioHigh',
    series: {
      'autonoma_http_request_duration_seconds_count{instance="a1",route="/v1/runs",method="POST",status="500"}':
        '0+1x30',
      'autonoma_http_request_duration_seconds_count{instance="a1",route="/v1/runs",method="POST",status="201"}':
        '0+99x30',
    },
    at: 25,
    fires: [],
  },
  {
    name: 'requests take about 5 s',
    alert: 'AutonomaHttpLatencyHigh',
    series: {
      'autonoma_http_request_duration_seconds_bucket{instance="a1",route="/v1/runs",method="GET",status="200",le="0.5"}':
        '0x30',
      'autonoma_http_request_duration_seconds_bucket{instance="a1",route="/v1/runs",method="GET",status="200",le="5"}':
        '0+10x30',
      'autonoma_http_request_duration_seconds_bucket{instance="a1",route="/v1/runs",method="GET",status="200",le="+Inf"}':
        '0+10x30',
    },
    at: 25,
    fires: [{}],
  },
  {
    name: 'only event streams last long',
    alert: 'AutonomaHttpLatencyHigh',
    series: {
      'autonoma_http_request_duration_seconds_bucket{instance="a1",route="/v1/runs/:id/events",method="GET",status="200",le="0.5"}':
        '0x30',
      'autonoma_http_request_duration_seconds_bucket{instance="a1",route="/v1/runs/:id/events",method="GET",status="200",le="+Inf"}':
        '0+10x30',
      'autonoma_http_request_duration_seconds_bucket{instance="a1",route="/v1/runs/:id/ws",method="GET",status="101",le="0.5"}':
        '0x30',
      'autonoma_http_request_duration_seconds_bucket{instance="a1",route="/v1/runs/:id/ws",method="GET",status="101",le="+Inf"}':
        '0+10x30',
      'autonoma_http_request_duration_seconds_bucket{instance="a1",route="/v1/agents",method="GET",status="200",le="0.5"}':
        '0+10x30',
      'autonoma_http_request_duration_seconds_bucket{instance="a1",route="/v1/agents",method="GET",status="200",le="+Inf"}':
        '0+10x30',
    },
    at: 25,
    fires: [],
  },
  {
    name: 'models cost 60 USD in an hour',
    alert: 'AutonomaModelSpendHigh',
    series: { 'autonoma_model_cost_usd_total{instance="w1",model="openai:gpt-4.1-mini"}': '0+1x120' },
    at: 70,
    fires: [{}],
  },
  {
    name: 'models cost 30 USD in an hour',
    alert: 'AutonomaModelSpendHigh',
    series: { 'autonoma_model_cost_usd_total{instance="w1",model="openai:gpt-4.1-mini"}': '0+0.5x120' },
    at: 70,
    fires: [],
  },
];

/** An annotation as Prometheus renders it for an alert with these labels (templates use only $labels). */
function render(template: string, labels: Record<string, string>): string {
  return template.replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_, name: string) => labels[name] ?? '');
}

let promtool = '';
let directory = '';

beforeAll(() => {
  promtool = requireCommand('promtool', 'prometheus');
  directory = mkdtempSync(join(tmpdir(), 'autonoma-promtool-'));
});

afterAll(() => {
  if (directory !== '') rmSync(directory, { recursive: true, force: true });
});

describe('deploy/prometheus', () => {
  it('passes promtool check config (rule files included)', () => {
    const result = runCommand(promtool, [
      'check',
      'config',
      resolve(deployDirectory, 'prometheus/prometheus.yml'),
    ]);
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it('passes promtool check rules', () => {
    const result = runCommand(promtool, [
      'check',
      'rules',
      resolve(deployDirectory, 'prometheus/alerts.yml'),
    ]);
    expect(result.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it('covers stuck runs, an aging queue, lease losses, error rates and no live workers', () => {
    const names = rules.map((rule) => rule.alert);
    expect(names).toEqual(
      expect.arrayContaining([
        'AutonomaRunsStuck',
        'AutonomaQueueAgingInteractive',
        'AutonomaQueueAgingBackground',
        'AutonomaLeaseLosses',
        'AutonomaHttp5xxRatioHigh',
        'AutonomaFailedRunRatioHigh',
        'AutonomaNoLiveWorkers',
      ]),
    );
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives every alert a duration, a severity, a summary, a description and a runbook section that exists', () => {
    const operations = readFileSync(resolve(repositoryRoot, 'docs/operations.md'), 'utf8');
    const headings = new Set(
      [...operations.matchAll(/^#{1,6}\s+(.+)$/gm)].map((match) =>
        (match[1] ?? '')
          .trim()
          .toLowerCase()
          .replace(/[^\w\- ]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const rule of rules) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning', 'info'], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary, rule.alert).toBeTruthy();
      expect(rule.annotations.description?.length ?? 0, rule.alert).toBeGreaterThan(40);
      const anchor = /^docs\/operations\.md#(.+)$/.exec(rule.annotations.runbook ?? '')?.[1];
      expect(anchor, `${rule.alert} runbook`).toBe(rule.alert.toLowerCase());
      expect(headings.has(anchor ?? ''), `${rule.alert}: docs/operations.md has no section #${anchor}`).toBe(
        true,
      );
      // Annotations are rendered from labels only ($value would make them untestable and noisy).
      expect(JSON.stringify(rule.annotations), rule.alert).not.toContain('$value');
    }
  });

  it('refers only to metrics Autonoma exposes, with their labels', () => {
    for (const rule of rules) expect(checkPromql(rule.expr).problems, rule.alert).toEqual([]);
  });

  it('fires each alert when it should and stays quiet when it should not (promtool test rules)', () => {
    for (const rule of rules) {
      expect(
        scenarios.some((scenario) => scenario.alert === rule.alert && scenario.fires.length > 0),
        `${rule.alert} has no firing scenario`,
      ).toBe(true);
    }
    const byName = new Map(rules.map((rule) => [rule.alert, rule]));
    const tests = scenarios.map((scenario) => {
      const rule = byName.get(scenario.alert);
      if (rule === undefined) throw new Error(`scenario for unknown alert ${scenario.alert}`);
      return {
        name: scenario.name,
        interval: '1m',
        input_series: Object.entries(scenario.series).map(([series, values]) => ({ series, values })),
        alert_rule_test: [
          {
            eval_time: `${scenario.at}m`,
            alertname: scenario.alert,
            exp_alerts: scenario.fires.map((labels) => {
              const all = { ...labels, severity: rule.labels.severity ?? '' };
              return {
                exp_labels: all,
                exp_annotations: Object.fromEntries(
                  Object.entries(rule.annotations).map(([key, template]) => [key, render(template, all)]),
                ),
              };
            }),
          },
        ],
      };
    });
    const file = join(directory, 'alerts.test.yml');
    const document: Mapping = {
      rule_files: [resolve(deployDirectory, 'prometheus/alerts.yml')],
      evaluation_interval: '1m',
      tests,
    };
    writeFileSync(file, YAML.stringify(document));
    const result = runCommand(promtool, ['test', 'rules', file]);
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });
});
