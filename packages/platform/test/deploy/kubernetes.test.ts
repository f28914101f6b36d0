import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  durationSeconds,
  environmentOf,
  isAutonomaVariable,
  loadCompose,
  servicesOf,
} from './compose-file.ts';
import { schemaProblems, unknownFieldProblems } from './kubernetes-schema.ts';
import { podSpecsOf, readResources, renderKustomization, type KubernetesResource } from './kustomize.ts';
import {
  asList,
  asMapping,
  deployDirectory,
  isMapping,
  readDeployFile,
  readDeployYaml,
  type Mapping,
} from './repository.ts';

/**
 * deploy/k8s: the base and the production overlay rendered with kustomize's semantics (kustomize.ts),
 * every object validated offline against the Kubernetes schemas (kubernetes-models) with unknown fields
 * refused, and the properties that matter checked on the rendered objects: pod security, probes, drain
 * grace, autoscaling on queue depth, the ingress' stream timeouts and what the NetworkPolicies allow.
 */

const k8s = resolve(deployDirectory, 'k8s');
const base = renderKustomization(resolve(k8s, 'base'));
const production = renderKustomization(resolve(k8s, 'overlays/production'));
const secretTemplate = readResources(resolve(k8s, 'base/secret.template.yaml'));
const scratch: string[] = [];

afterAll(() => {
  for (const directory of scratch) rmSync(directory, { recursive: true, force: true });
});

const find = (resources: readonly KubernetesResource[], kind: string, name: string): KubernetesResource => {
  const found = resources.find((resource) => resource.kind === kind && resource.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind}/${name}`);
  return found;
};
const ofKind = (resources: readonly KubernetesResource[], kind: string): KubernetesResource[] =>
  resources.filter((resource) => resource.kind === kind);
const spec = (resource: KubernetesResource): Mapping => asMapping(resource['spec'], `${resource.kind} spec`);
const podLabels = (resource: KubernetesResource): Record<string, string> => {
  const template = asMapping(spec(resource)['template'], 'template');
  return asMapping(asMapping(template['metadata'], 'template metadata')['labels'], 'labels') as Record<
    string,
    string
  >;
};
const containersOf = (resource: KubernetesResource): Mapping[] =>
  podSpecsOf(resource).flatMap((pod) =>
    asList(pod['containers'], 'containers').map((c) => asMapping(c, 'container')),
  );
const workloads = (resources: readonly KubernetesResource[]): KubernetesResource[] =>
  resources.filter((resource) => ['Deployment', 'Job'].includes(resource.kind));
const workers = (resources: readonly KubernetesResource[]): KubernetesResource[] =>
  ofKind(resources, 'Deployment').filter(
    (resource) => podLabels(resource)['app.kubernetes.io/component'] === 'worker',
  );
const configData = (resources: readonly KubernetesResource[]): Record<string, string> =>
  asMapping(find(resources, 'ConfigMap', 'autonoma-config')['data'], 'data') as Record<string, string>;

/** Kubernetes label selector semantics (matchLabels and matchExpressions). */
function selects(selector: unknown, labels: Record<string, string>): boolean {
  const mapping = asMapping(selector ?? {}, 'selector');
  for (const [key, value] of Object.entries(asMapping(mapping['matchLabels'] ?? {}, 'matchLabels'))) {
    if (labels[key] !== value) return false;
  }
  for (const expression of asList(mapping['matchExpressions'], 'matchExpressions').map((e) =>
    asMapping(e, 'expr'),
  )) {
    const key = String(expression['key']);
    const values = asList(expression['values'], 'values').map(String);
    const has = key in labels;
    const matches =
      expression['operator'] === 'In'
        ? has && values.includes(labels[key] ?? '')
        : expression['operator'] === 'NotIn'
          ? !has || !values.includes(labels[key] ?? '')
          : expression['operator'] === 'Exists'
            ? has
            : !has;
    if (!matches) return false;
  }
  return true;
}

describe('deploy/k8s rendering', () => {
  it('renders the base and the production overlay into the same set of objects', () => {
    const names = (resources: readonly KubernetesResource[]): string[] =>
      resources.map((resource) => `${resource.kind}/${resource.metadata.name}`).sort();
    expect(names(production)).toEqual(names(base));
    expect(names(base)).toEqual(
      expect.arrayContaining([
        'Namespace/autonoma',
        'ConfigMap/autonoma-config',
        'Deployment/autonoma-api',
        'Service/autonoma-api',
        'HorizontalPodAutoscaler/autonoma-api',
        'PodDisruptionBudget/autonoma-api',
        'Ingress/autonoma',
        'Deployment/autonoma-worker-high',
        'Deployment/autonoma-worker-low',
        'HorizontalPodAutoscaler/autonoma-worker-high',
        'HorizontalPodAutoscaler/autonoma-worker-low',
        'Job/autonoma-migrate',
        'NetworkPolicy/default-deny-all',
      ]),
    );
  });

  it('lists every manifest of the base, but never the Secret template', () => {
    const kustomization = asMapping(readDeployYaml('k8s/base/kustomization.yaml'), 'kustomization');
    const listed = asList(kustomization['resources'], 'resources').map(String);
    const files = readdirSync(resolve(k8s, 'base')).filter(
      (file) => file.endsWith('.yaml') && file !== 'kustomization.yaml',
    );
    expect([...listed, 'secret.template.yaml'].sort()).toEqual(files.sort());
    expect(base.some((resource) => resource.kind === 'Secret')).toBe(false);
  });

  it('puts every namespaced object in the autonoma namespace, which enforces the restricted pod security level', () => {
    for (const resource of production.filter((candidate) => candidate.kind !== 'Namespace')) {
      expect(resource.metadata.namespace, `${resource.kind}/${resource.metadata.name}`).toBe('autonoma');
    }
    const namespace = find(production, 'Namespace', 'autonoma');
    expect(asMapping(namespace.metadata['labels'], 'labels')['pod-security.kubernetes.io/enforce']).toBe(
      'restricted',
    );
  });

  it('is rendered by a renderer that refuses what it does not implement', () => {
    const directory = mkdtempSync(join(tmpdir(), 'autonoma-kustomize-'));
    scratch.push(directory);
    writeFileSync(
      join(directory, 'kustomization.yaml'),
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\ncommonLabels: { a: b }\n',
    );
    expect(() => renderKustomization(directory)).toThrow(/commonLabels/);
    const overlay = join(directory, 'overlay');
    mkdirSync(overlay);
    writeFileSync(
      join(overlay, 'kustomization.yaml'),
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [${resolve(k8s, 'base')}]\npatches: [{ path: p.yaml }]\n`,
    );
    writeFileSync(
      join(overlay, 'p.yaml'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: autonoma-apii }\n',
    );
    expect(() => renderKustomization(overlay)).toThrow(/no resource Deployment\/autonoma-apii/);
  });
});

describe('deploy/k8s against the Kubernetes schemas', () => {
  const everything = [...base, ...production, ...secretTemplate];

  it('validates every object (types, required fields, enums)', async () => {
    const problems = (await Promise.all(everything.map((resource) => schemaProblems(resource)))).flat();
    expect(problems).toEqual([]);
  });

  it('has no field the Kubernetes API does not know (a typo would be silently ignored otherwise)', () => {
    // A deliberately broken copy proves the check bites; it must be the only object reported.
    const broken = structuredClone(find(production, 'Deployment', 'autonoma-api'));
    broken.metadata.name = 'broken-copy';
    const container = containersOf(broken)[0] as Mapping;
    container['readynessProbe'] = container['readinessProbe'];
    const problems = unknownFieldProblems([...everything, broken]);
    expect(problems.filter((problem) => !problem.startsWith('Deployment/broken-copy:'))).toEqual([]);
    expect(problems.join('\n')).toContain('\'"readynessProbe"\' does not exist');
  });

  it('rejects a wrong type through the schema validator', async () => {
    const broken = structuredClone(find(production, 'HorizontalPodAutoscaler', 'autonoma-api'));
    spec(broken)['minReplicas'] = 'two';
    expect((await schemaProblems(broken)).join('\n')).toMatch(/minReplicas must be integer/);
  });
});

describe('deploy/k8s workloads', () => {
  const home = configData(base)['AUTONOMA_HOME'];

  it('run as the image user, non-root, read-only, without capabilities, under RuntimeDefault seccomp', () => {
    const dockerUser = /^USER\s+(\d+):(\d+)/m.exec(readDeployFile('Dockerfile'));
    for (const workload of workloads(production)) {
      const name = `${workload.kind}/${workload.metadata.name}`;
      for (const pod of podSpecsOf(workload)) {
        const security = asMapping(pod['securityContext'], `${name} securityContext`);
        expect(security['runAsNonRoot'], name).toBe(true);
        expect(String(security['runAsUser']), name).toBe(dockerUser?.[1]);
        expect(asMapping(security['seccompProfile'], 'seccompProfile')['type'], name).toBe('RuntimeDefault');
        expect(pod['automountServiceAccountToken'], name).toBe(false);
        expect(pod['serviceAccountName'], name).toBe('autonoma');
      }
      for (const container of containersOf(workload)) {
        const security = asMapping(container['securityContext'], `${name} container securityContext`);
        expect(security['allowPrivilegeEscalation'], name).toBe(false);
        expect(security['readOnlyRootFilesystem'], name).toBe(true);
        expect(asMapping(security['capabilities'], 'capabilities')['drop'], name).toEqual(['ALL']);
        // A read-only root needs writable /tmp (Node's compile cache) and AUTONOMA_HOME.
        const mounts = asList(container['volumeMounts'], 'volumeMounts').map(
          (m) => asMapping(m, 'mount')['mountPath'],
        );
        expect(mounts, name).toEqual(expect.arrayContaining(['/tmp', home]));
      }
    }
    expect(find(production, 'ServiceAccount', 'autonoma')['automountServiceAccountToken']).toBe(false);
  });

  it('request and limit CPU and memory in every container', () => {
    for (const workload of workloads(production)) {
      for (const container of containersOf(workload)) {
        const resources = asMapping(container['resources'], `${workload.metadata.name} resources`);
        for (const kind of ['requests', 'limits']) {
          const values = asMapping(resources[kind], `${workload.metadata.name} ${kind}`);
          expect(values['cpu'], `${workload.metadata.name} ${kind}.cpu`).toBeDefined();
          expect(values['memory'], `${workload.metadata.name} ${kind}.memory`).toBeDefined();
        }
      }
    }
  });

  it('take their settings from the ConfigMap and the Secret, and only variables Autonoma reads', () => {
    for (const workload of workloads(production)) {
      for (const container of containersOf(workload)) {
        const sources = asList(container['envFrom'], 'envFrom').map((source) => asMapping(source, 'envFrom'));
        const names = sources.map((source) =>
          String(asMapping(source['configMapRef'] ?? source['secretRef'], 'ref')['name']),
        );
        expect(names, workload.metadata.name).toEqual(['autonoma-config', 'autonoma-secrets']);
        for (const variable of asList(container['env'], 'env').map(
          (entry) => asMapping(entry, 'env')['name'],
        )) {
          expect(isAutonomaVariable(String(variable)), `${workload.metadata.name}: ${String(variable)}`).toBe(
            true,
          );
        }
      }
    }
    for (const key of Object.keys(configData(production))) expect(isAutonomaVariable(key), key).toBe(true);
    const secret = secretTemplate[0] as KubernetesResource;
    expect(secret.metadata.name).toBe('autonoma-secrets');
    for (const [key, value] of Object.entries(asMapping(secret['stringData'], 'stringData'))) {
      expect(isAutonomaVariable(key), key).toBe(true);
      // A template: placeholders only.
      expect(String(value) === '' || String(value).includes('CHANGE_ME'), key).toBe(true);
    }
    expect(configData(production)['HOST']).toBe('0.0.0.0');
  });

  it('run one image: the local tag in the base, a pinned registry tag in production', () => {
    const images = (resources: readonly KubernetesResource[]): Set<string> =>
      new Set(
        workloads(resources).flatMap((workload) => containersOf(workload).map((c) => String(c['image']))),
      );
    expect([...images(base)]).toEqual(['autonoma:local']);
    const [image, ...others] = [...images(production)];
    expect(others).toEqual([]);
    expect(image).toMatch(/^[\w.-]+(?::\d+)?\/[\w./-]+:[\w.-]+$/);
    expect(image).not.toMatch(/:latest$/);
  });

  it('probe the API on /healthz (liveness) and /readyz (readiness), on the port the Service and Ingress use', () => {
    const api = find(production, 'Deployment', 'autonoma-api');
    const container = containersOf(api)[0] as Mapping;
    const probe = (name: string): Mapping =>
      asMapping(asMapping(container[name], name)['httpGet'], `${name} httpGet`);
    expect(probe('livenessProbe')['path']).toBe('/healthz');
    expect(probe('readinessProbe')['path']).toBe('/readyz');
    const ports = asList(container['ports'], 'ports').map((port) => asMapping(port, 'port'));
    const http = ports.find((port) => port['name'] === probe('readinessProbe')['port']);
    expect(http?.['containerPort']).toBe(Number(configData(production)['PORT']));
    expect(ports.find((port) => port['name'] === 'metrics')?.['containerPort']).toBe(
      Number(configData(production)['METRICS_PORT']),
    );

    const service = find(production, 'Service', 'autonoma-api');
    expect(selects({ matchLabels: spec(service)['selector'] }, podLabels(api))).toBe(true);
    const servicePorts = asList(spec(service)['ports'], 'ports').map((port) => asMapping(port, 'port'));
    expect(servicePorts.map((port) => port['targetPort'])).toEqual(['http']);

    const ingress = find(production, 'Ingress', 'autonoma');
    const backends = JSON.stringify(spec(ingress)['rules']);
    expect(backends).toContain('"name":"autonoma-api"');
    expect(backends).toContain(`"port":{"name":"${String(servicePorts[0]?.['name'])}"}`);
  });

  it('scale the API on CPU, keep one pod through disruptions, and spread it over nodes', () => {
    const api = find(production, 'Deployment', 'autonoma-api');
    const hpa = spec(find(production, 'HorizontalPodAutoscaler', 'autonoma-api'));
    expect(asMapping(hpa['scaleTargetRef'], 'scaleTargetRef')['name']).toBe('autonoma-api');
    expect(JSON.stringify(hpa['metrics'])).toContain('"name":"cpu"');
    expect(Number(hpa['minReplicas'])).toBeGreaterThanOrEqual(2);
    // The HPA owns the replica count: a `replicas` field would reset it at every apply.
    expect(spec(api)['replicas']).toBeUndefined();
    const pdb = spec(find(production, 'PodDisruptionBudget', 'autonoma-api'));
    expect(selects(pdb['selector'], podLabels(api))).toBe(true);
    // Drains must be possible: fewer pods protected than the autoscaler's minimum.
    expect(Number(pdb['minAvailable'])).toBeLessThan(Number(hpa['minReplicas']));
  });

  it('give the ingress hour-long timeouts and no buffering for SSE and WebSocket streams', () => {
    const annotations = asMapping(
      find(production, 'Ingress', 'autonoma').metadata['annotations'],
      'annotations',
    );
    expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(
      3600,
    );
    expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(
      3600,
    );
    expect(annotations['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
    const ingress = spec(find(production, 'Ingress', 'autonoma'));
    const hosts = asList(ingress['rules'], 'rules').map((rule) => asMapping(rule, 'rule')['host']);
    const tlsHosts = asList(ingress['tls'], 'tls').flatMap((tls) =>
      asList(asMapping(tls, 'tls')['hosts'], 'hosts'),
    );
    expect(tlsHosts.sort()).toEqual(hosts.sort());
  });

  it('split the priorities between worker pools that drain within their grace period, as in Compose', () => {
    const composeServices = servicesOf(loadCompose());
    const served: string[] = [];
    for (const worker of workers(production)) {
      const container = containersOf(worker)[0] as Mapping;
      const args = asList(container['args'], 'args').map(String);
      expect(args[0]).toBe('worker');
      const queues = args[args.indexOf('--queues') + 1] ?? '';
      served.push(...queues.split(','));
      const pool = String(podLabels(worker)['autonoma-pool']);
      const compose = composeServices[`worker-${pool}`] as Mapping;
      expect(asList(compose['command'], 'command')).toContain(queues);
      const grace = Number(podSpecsOf(worker)[0]?.['terminationGracePeriodSeconds']);
      expect(grace, worker.metadata.name).toBeGreaterThanOrEqual(60);
      expect(grace, worker.metadata.name).toBe(durationSeconds(compose['stop_grace_period']));
      expect(spec(worker)['replicas']).toBeUndefined();
      // Workers have no API: liveness through the metrics endpoint.
      const liveness = asMapping(
        asMapping(container['livenessProbe'], 'livenessProbe')['httpGet'],
        'httpGet',
      );
      expect(liveness['port']).toBe('metrics');
    }
    expect(served.sort()).toEqual(['critical', 'high', 'low', 'normal']);
    expect(environmentOf(composeServices['worker-high'] as Mapping).get('METRICS_PORT')).toBe(
      configData(production)['METRICS_PORT'],
    );
  });

  it('share one ReadWriteMany workspaces volume between all workers, under AUTONOMA_HOME', () => {
    const claim = find(production, 'PersistentVolumeClaim', 'autonoma-workspaces');
    expect(spec(claim)['accessModes']).toEqual(['ReadWriteMany']);
    for (const worker of workers(production)) {
      const pod = podSpecsOf(worker)[0] as Mapping;
      const volume = asList(pod['volumes'], 'volumes')
        .map((v) => asMapping(v, 'volume'))
        .find((v) => isMapping(v['persistentVolumeClaim']));
      expect(asMapping(volume?.['persistentVolumeClaim'], 'pvc')['claimName']).toBe('autonoma-workspaces');
      const mount = asList((containersOf(worker)[0] as Mapping)['volumeMounts'], 'mounts')
        .map((m) => asMapping(m, 'mount'))
        .find((m) => m['name'] === volume?.['name']);
      expect(mount?.['mountPath']).toBe(`${home}/workspaces`);
    }
  });

  it('autoscale each worker pool on its own queues through external metrics that prometheus-adapter serves', () => {
    const adapter = asMapping(readDeployYaml('k8s/prometheus-adapter-values.yaml'), 'adapter values');
    const external = asList(asMapping(adapter['rules'], 'rules')['external'], 'external').map((r) =>
      asMapping(r, 'rule'),
    );
    const served = new Map(
      external.map((rule) => [String(asMapping(rule['name'], 'name')['as']), rule] as const),
    );
    for (const worker of workers(production)) {
      const hpa = spec(find(production, 'HorizontalPodAutoscaler', worker.metadata.name));
      expect(asMapping(hpa['scaleTargetRef'], 'scaleTargetRef')['name']).toBe(worker.metadata.name);
      const args = asList((containersOf(worker)[0] as Mapping)['args'], 'args').map(String);
      const queues = (args[args.indexOf('--queues') + 1] ?? '').split(',').sort();
      const metrics = asList(hpa['metrics'], 'metrics').map((m) => asMapping(m, 'metric'));
      expect(metrics.map((metric) => metric['type'])).toContain('External');
      const names: string[] = [];
      for (const metric of metrics.filter((candidate) => candidate['type'] === 'External')) {
        const identifier = asMapping(asMapping(metric['external'], 'external')['metric'], 'metric');
        names.push(String(identifier['name']));
        const expression = asList(asMapping(identifier['selector'], 'selector')['matchExpressions'], 'exprs')
          .map((e) => asMapping(e, 'expr'))
          .find((e) => e['key'] === 'priority');
        // The pool scales on exactly the priorities it serves.
        expect(asList(expression?.['values'], 'values').map(String).sort(), worker.metadata.name).toEqual(
          queues,
        );
        const rule = served.get(String(identifier['name']));
        expect(rule, `prometheus-adapter serves ${String(identifier['name'])}`).toBeDefined();
        expect(String(rule?.['seriesQuery'])).toContain(String(identifier['name']));
        expect(String(rule?.['metricsQuery'])).toContain('<<.LabelMatchers>>');
      }
      expect(names).toContain('autonoma_queue_depth');
    }
  });

  it('run migrations as a one-off Job', () => {
    const job = find(production, 'Job', 'autonoma-migrate');
    const pod = podSpecsOf(job)[0] as Mapping;
    expect(pod['restartPolicy']).toBe('Never');
    expect(asList((containersOf(job)[0] as Mapping)['args'], 'args')).toEqual(['migrate']);
    expect(Number(spec(job)['backoffLimit'])).toBeGreaterThan(0);
  });

  it('are given bigger ranges and resources by the production overlay', () => {
    for (const name of ['autonoma-api', 'autonoma-worker-high', 'autonoma-worker-low']) {
      const before = spec(find(base, 'HorizontalPodAutoscaler', name));
      const after = spec(find(production, 'HorizontalPodAutoscaler', name));
      expect(Number(after['minReplicas']), name).toBeGreaterThanOrEqual(Number(before['minReplicas']));
      expect(Number(after['maxReplicas']), name).toBeGreaterThan(Number(before['maxReplicas']));
    }
    expect(
      JSON.stringify(containersOf(find(production, 'Deployment', 'autonoma-api'))[0]?.['resources']),
    ).not.toBe(JSON.stringify(containersOf(find(base, 'Deployment', 'autonoma-api'))[0]?.['resources']));
    expect(configData(production)['OTEL_EXPORTER_OTLP_ENDPOINT']).toMatch(/^http:\/\/.+:4318$/);
  });
});

describe('deploy/k8s NetworkPolicies', () => {
  interface Peer {
    namespace?: string;
    ipBlock?: { cidr: string; except: string[] };
    anywhere: boolean;
  }
  interface Allowed {
    port: number;
    peers: Peer[];
  }
  const policies = ofKind(production, 'NetworkPolicy');

  /** What the policies allow a pod with these labels, in one direction. */
  function allowed(labels: Record<string, string>, direction: 'Ingress' | 'Egress'): Allowed[] {
    const result: Allowed[] = [];
    for (const policy of policies) {
      const body = spec(policy);
      if (!selects(body['podSelector'], labels)) continue;
      if (!asList(body['policyTypes'], 'policyTypes').includes(direction)) continue;
      const rules = asList(body[direction === 'Ingress' ? 'ingress' : 'egress'], 'rules').map((r) =>
        asMapping(r, 'rule'),
      );
      for (const rule of rules) {
        const peersField = rule[direction === 'Ingress' ? 'from' : 'to'];
        const peers: Peer[] =
          peersField === undefined
            ? [{ anywhere: true }]
            : asList(peersField, 'peers').map((peer) => {
                const mapping = asMapping(peer, 'peer');
                const namespaceSelector = mapping['namespaceSelector'];
                const namespace = isMapping(namespaceSelector)
                  ? (asMapping(namespaceSelector['matchLabels'] ?? {}, 'labels')[
                      'kubernetes.io/metadata.name'
                    ] as string | undefined)
                  : undefined;
                const ipBlock = isMapping(mapping['ipBlock'])
                  ? {
                      cidr: String(mapping['ipBlock']['cidr']),
                      except: asList(mapping['ipBlock']['except'], 'except').map(String),
                    }
                  : undefined;
                return {
                  ...(namespace ? { namespace } : {}),
                  ...(ipBlock ? { ipBlock } : {}),
                  anywhere: namespace === undefined && ipBlock === undefined && isMapping(namespaceSelector),
                };
              });
        for (const port of asList(rule['ports'], 'ports').map((p) => Number(asMapping(p, 'port')['port']))) {
          result.push({ port, peers });
        }
        if (rule['ports'] === undefined) result.push({ port: 0, peers });
      }
    }
    return result;
  }
  const pods = Object.fromEntries(
    workloads(production).map((workload) => [workload.metadata.name, podLabels(workload)]),
  );
  const ports = (entries: readonly Allowed[]): number[] =>
    [...new Set(entries.map((entry) => entry.port))].sort((a, b) => a - b);

  it('deny everything by default', () => {
    const deny = policies.find((policy) => policy.metadata.name === 'default-deny-all');
    expect(spec(deny as KubernetesResource)).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  it('let only the API be reached from the ingress controller; workers and migrations only by Prometheus', () => {
    const api = allowed(pods['autonoma-api'] ?? {}, 'Ingress');
    expect(ports(api)).toEqual([8080, 9464]);
    expect(api.filter((entry) => entry.port === 8080).flatMap((entry) => entry.peers)).toEqual([
      { namespace: 'ingress-nginx', anywhere: false },
    ]);
    for (const name of ['autonoma-worker-high', 'autonoma-worker-low']) {
      const worker = allowed(pods[name] ?? {}, 'Ingress');
      expect(ports(worker), name).toEqual([9464]);
      expect(
        worker.flatMap((entry) => entry.peers),
        name,
      ).toEqual([{ namespace: 'monitoring', anywhere: false }]);
    }
    expect(allowed(pods['autonoma-migrate'] ?? {}, 'Ingress')).toEqual([]);
  });

  it('let every pod resolve names and reach PostgreSQL and Redis', () => {
    for (const [name, labels] of Object.entries(pods)) {
      expect(ports(allowed(labels, 'Egress')), name).toEqual(expect.arrayContaining([53, 5432, 6379]));
    }
  });

  it('let only workers out to public HTTPS, never to private, link-local (metadata) or loopback ranges', () => {
    for (const name of ['autonoma-worker-high', 'autonoma-worker-low']) {
      const https = allowed(pods[name] ?? {}, 'Egress').filter((entry) => entry.port === 443);
      expect(https.length, name).toBeGreaterThan(0);
      for (const peer of https.flatMap((entry) => entry.peers)) {
        expect(peer.anywhere, name).toBe(false);
        if (peer.ipBlock?.cidr === '0.0.0.0/0') {
          expect(peer.ipBlock.except).toEqual(
            expect.arrayContaining([
              '10.0.0.0/8',
              '172.16.0.0/12',
              '192.168.0.0/16',
              '169.254.0.0/16',
              '127.0.0.0/8',
            ]),
          );
        }
      }
    }
    for (const name of ['autonoma-api', 'autonoma-migrate']) {
      expect(ports(allowed(pods[name] ?? {}, 'Egress')), name).not.toContain(443);
    }
  });
});
