import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, runCommand } from './host-tools.ts';
import { checkPromql, metricCatalog, substituteGrafanaVariables } from './promql.ts';
import {
  asList,
  asMapping,
  deployDirectory,
  readDeployFile,
  readDeployYaml,
  type Mapping,
} from './repository.ts';

/**
 * deploy/grafana: the provisioning files and the dashboards. Every panel query parses (Prometheus'
 * grammar, and promtool's parser) and reads only metrics Autonoma exposes, with their labels; together
 * the panels show every Autonoma metric; the layout has no overlapping panels.
 */

const dashboardFiles = readdirSync(join(deployDirectory, 'grafana/dashboards')).filter((file) =>
  file.endsWith('.json'),
);
const datasources = asList(
  asMapping(readDeployYaml('grafana/provisioning/datasources/datasources.yaml'), 'datasources')[
    'datasources'
  ],
  'datasources',
).map((source) => asMapping(source, 'datasource'));

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { expr: string; refId: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}

function panelsOf(file: string): Panel[] {
  const dashboard = asMapping(JSON.parse(readDeployFile(`grafana/dashboards/${file}`)), file);
  const top = asList(dashboard['panels'], 'panels') as Panel[];
  return top.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

let promtool = '';
let directory = '';

beforeAll(() => {
  promtool = requireCommand('promtool', 'prometheus');
  directory = mkdtempSync(join(tmpdir(), 'autonoma-grafana-'));
});

afterAll(() => {
  if (directory !== '') rmSync(directory, { recursive: true, force: true });
});

describe('deploy/grafana', () => {
  it('provisions Prometheus (the default) and Jaeger with fixed uids', () => {
    const uids = datasources.map((source) => source['uid']);
    expect(new Set(uids).size).toBe(uids.length);
    const prometheus = datasources.find((source) => source['type'] === 'prometheus');
    expect(prometheus?.['isDefault']).toBe(true);
    expect(datasources.some((source) => source['type'] === 'jaeger')).toBe(true);
  });

  it('has at least one dashboard, each with a uid, a title and unique panel ids', () => {
    expect(dashboardFiles.length).toBeGreaterThan(0);
    for (const file of dashboardFiles) {
      const dashboard = asMapping(JSON.parse(readDeployFile(`grafana/dashboards/${file}`)), file);
      expect(dashboard['uid'], file).toMatch(/^[\w-]{1,40}$/);
      expect(dashboard['title'], file).toBeTruthy();
      const ids = panelsOf(file).map((panel) => panel.id);
      expect(new Set(ids).size, file).toBe(ids.length);
    }
  });

  it('lays panels out on the 24-column grid without overlaps', () => {
    for (const file of dashboardFiles) {
      const panels = panelsOf(file);
      for (const panel of panels) {
        expect(panel.gridPos.x + panel.gridPos.w, `${file}: ${panel.title}`).toBeLessThanOrEqual(24);
      }
      for (const [index, left] of panels.entries()) {
        for (const right of panels.slice(index + 1)) {
          const overlap =
            left.gridPos.x < right.gridPos.x + right.gridPos.w &&
            right.gridPos.x < left.gridPos.x + left.gridPos.w &&
            left.gridPos.y < right.gridPos.y + right.gridPos.h &&
            right.gridPos.y < left.gridPos.y + left.gridPos.h;
          expect(overlap, `${file}: "${left.title}" overlaps "${right.title}"`).toBe(false);
        }
      }
    }
  });

  it('queries only provisioned data sources, and only metrics Autonoma exposes, with their labels', () => {
    const uids = new Set(datasources.map((source) => String(source['uid'])));
    for (const file of dashboardFiles) {
      for (const panel of panelsOf(file).filter((candidate) => candidate.type !== 'row')) {
        expect(uids.has(panel.datasource?.uid ?? ''), `${file}: ${panel.title}`).toBe(true);
        expect(panel.targets?.length ?? 0, `${file}: ${panel.title} has no query`).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) {
          expect(checkPromql(target.expr).problems, `${file}: ${panel.title}: ${target.expr}`).toEqual([]);
        }
      }
    }
  });

  it('shows every Autonoma metric somewhere', () => {
    const shown = new Set(
      dashboardFiles.flatMap((file) =>
        panelsOf(file).flatMap((panel) =>
          (panel.targets ?? []).flatMap((target) => checkPromql(target.expr).families),
        ),
      ),
    );
    const missing = Object.keys(metricCatalog).filter(
      (name) => name.startsWith('autonoma_') && !shown.has(name),
    );
    expect(missing).toEqual([]);
  });

  it("has queries Prometheus' own parser accepts (promtool check rules on them as recording rules)", () => {
    const rules = dashboardFiles.flatMap((file) =>
      panelsOf(file).flatMap((panel) =>
        (panel.targets ?? []).map((target, index) => ({
          record: `dashboard:panel_${panel.id}_${index}`,
          expr: substituteGrafanaVariables(target.expr),
        })),
      ),
    );
    const file = join(directory, 'dashboard-queries.yml');
    const document: Mapping = { groups: [{ name: 'dashboard', rules }] };
    writeFileSync(file, YAML.stringify(document));
    const result = runCommand(promtool, ['check', 'rules', file]);
    expect(result.stdout, result.stdout + result.stderr).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(result.status).toBe(0);
  });
});
