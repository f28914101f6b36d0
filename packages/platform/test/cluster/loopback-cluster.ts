/**
 * The Compose topology as real processes on loopback: Debian's nginx running deploy/nginx/nginx.conf
 * (its upstream host names pointed at loopback ports) in front of two `autonoma serve` replicas, one
 * `autonoma worker` per pool of deploy/compose.yaml (same `--queues` and `--concurrency`), on a fresh
 * PostgreSQL database and a private Redis — plus the fixture model, a loopback side-effect server and
 * a loopback OTLP receiver (test/jobs/cluster-harness.ts and test/observability supply those). Every
 * process serves `/metrics` on its own METRICS_PORT and logs JSON lines at LOG_LEVEL=info.
 *
 * Used by cluster.test.ts and by scripts/cluster-demo.sh (cluster-demo.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asList, readDeployFile } from '../deploy/repository.ts';
import { loadCompose, servicesOf } from '../deploy/compose-file.ts';
import { startCluster, type Cluster } from '../jobs/cluster-harness.ts';
import type { OtlpReceiver } from '../observability/observability-harness.ts';
import { startOtlpReceiver } from '../observability/observability-harness.ts';
import { startCli, type CliResult } from '../support/cli.ts';
import { freePort } from '../support/redis.ts';
import { waitFor } from '../support/wait-for.ts';

/** A secret every process is given (the model's API key): it must appear in no log line. */
export const secretCanary = 'sk-cluster-canary-3f9a1c7e5b';

/** One Autonoma process of the cluster. */
export interface ClusterProcess {
  /** `api-1`, `worker-high`… (Compose's service names; a restarted one keeps its name). */
  readonly name: string;
  readonly role: 'api' | 'worker';
  readonly pid: number;
  /** Its API port (API replicas). */
  readonly port: number | undefined;
  readonly metricsPort: number;
  /** Everything it wrote (stdout: JSON log lines; stderr: its status lines). */
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: () => boolean;
  readonly done: Promise<CliResult>;
  kill(signal: NodeJS.Signals): void;
  /** Its `/metrics`, scraped from METRICS_PORT as Prometheus would. */
  scrape(): Promise<string>;
}

/** A worker pool of deploy/compose.yaml. */
export interface WorkerPoolSpec {
  service: string;
  queues: string;
  concurrency: string;
}

/** The running topology. */
export interface LoopbackCluster {
  /** The load balancer: every client request goes here. */
  readonly url: string;
  /** An admin API key of the default organization (`Authorization: Bearer …`). */
  readonly apiKey: string;
  readonly base: Cluster;
  readonly otlp: OtlpReceiver;
  readonly pools: readonly WorkerPoolSpec[];
  /** Every process started, in order (restarted ones too). */
  readonly processes: ClusterProcess[];
  /** The live process of a Compose service. */
  live(name: string): ClusterProcess | undefined;
  /** Starts (or restarts, after the last one exited) a Compose service: `api-1`, `api-2` or a worker pool. */
  start(name: string): Promise<ClusterProcess>;
  /** nginx's access log. */
  accessLog(): string;
  close(): Promise<void>;
}

/** The worker pools of deploy/compose.yaml: their service names, queues and concurrency. */
export function composeWorkerPools(): WorkerPoolSpec[] {
  const pools: WorkerPoolSpec[] = [];
  for (const [service, definition] of Object.entries(servicesOf(loadCompose()))) {
    const command = asList(definition['command'] ?? [], `${service}.command`).map(String);
    if (command[0] !== 'worker') continue;
    const flag = (name: string): string => {
      const index = command.indexOf(name);
      if (index < 0) throw new Error(`${service}: no ${name} in its command`);
      return command[index + 1] ?? '';
    };
    pools.push({ service, queues: flag('--queues'), concurrency: flag('--concurrency') });
  }
  return pools;
}

/** deploy/nginx/nginx.conf with the replicas, the port and the writable paths of this machine. */
export function loopbackNginxConfig(options: {
  directory: string;
  upstreams: Record<string, number>;
  port: number;
}): string {
  let text = readDeployFile('nginx/nginx.conf');
  const replace = (pattern: RegExp, by: string, what: string): void => {
    if (!pattern.test(text)) throw new Error(`deploy/nginx/nginx.conf: no ${what}`);
    text = text.replace(pattern, by);
  };
  for (const [host, port] of Object.entries(options.upstreams))
    replace(new RegExp(`(\\bserver\\s+)${host}:8080\\b`), `$1127.0.0.1:${port}`, `upstream ${host}:8080`);
  replace(/\blisten\s+8080;/, `listen 127.0.0.1:${options.port};`, 'listen 8080');
  replace(
    /\baccess_log\s+\/var\/log\/nginx\/access\.log\b/,
    `access_log ${join(options.directory, 'access.log')}`,
    'access_log',
  );
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `  ${kind}_temp_path ${join(options.directory, `${kind}_temp`)};`)
    .join('\n');
  return text.replace(/^http\s*\{/m, `http {\n${temp}`);
}

/** Starts the topology and waits until nginx answers through both replicas and every worker registered. */
export async function startLoopbackCluster(
  options: { env?: Record<string, string> } = {},
): Promise<LoopbackCluster> {
  const otlp = await startOtlpReceiver();
  const base = await startCluster({
    env: {
      LOG_LEVEL: 'info',
      AUTONOMA_LOG_FORMAT: 'json',
      AUTONOMA_MODEL_API_KEY: secretCanary,
      // Behind exactly one proxy, as in Compose (nginx appends the client address).
      AUTONOMA_TRUST_PROXY_HOPS: '1',
      // One client on loopback creates every run: the per-address and per-key limits are not under test.
      AUTONOMA_RATE_LIMIT: '1000000',
      AUTONOMA_RATE_LIMIT_IP: '1000000',
      AUTONOMA_ORG_RUN_QUOTA: '100000',
      OTEL_SDK_DISABLED: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      ...options.env,
    },
  });
  const pools = composeWorkerPools();
  const directory = mkdtempSync(join(tmpdir(), 'autonoma-loopback-cluster-'));
  // nginx's workers run unprivileged and write their temp files here.
  chmodSync(directory, 0o755);
  const processes: ClusterProcess[] = [];
  const apiPorts: Record<string, number> = { 'api-1': await freePort(), 'api-2': await freePort() };
  const { key: apiKey } = await base.app.services.apiKeys.create(
    { scope: base.app.localScope, role: 'owner' },
    { name: 'loopback-cluster', role: 'admin' },
  );

  const spawnService = (name: string, metricsPort: number): ClusterProcess => {
    const pool = pools.find((candidate) => candidate.service === name);
    const port = apiPorts[name];
    if (!pool && port === undefined) throw new Error(`no Compose service ${name}`);
    const args = pool
      ? ['worker', '--queues', pool.queues, '--concurrency', pool.concurrency]
      : ['serve', '--host', '127.0.0.1', '--port', String(port)];
    const started = startCli(args, {
      ...base.env,
      METRICS_PORT: String(metricsPort),
      OTEL_SERVICE_NAME: pool ? `autonoma-${name}` : 'autonoma-api',
    });
    let stdout = '';
    let stderr = '';
    let exited = false;
    started.child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    started.child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    started.child.on('exit', () => (exited = true));
    return {
      name,
      role: pool ? 'worker' : 'api',
      pid: started.child.pid ?? 0,
      port,
      metricsPort,
      stdout: () => stdout,
      stderr: () => stderr,
      exited: () => exited,
      done: started.done,
      kill: (signal) => started.child.kill(signal),
      scrape: async () => {
        const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
        if (!response.ok) throw new Error(`${name}: /metrics answered ${response.status}`);
        return response.text();
      },
    };
  };

  const live = (name: string): ClusterProcess | undefined =>
    processes.findLast((candidate) => candidate.name === name && !candidate.exited());

  const start = async (name: string): Promise<ClusterProcess> => {
    const running = live(name);
    if (running) throw new Error(`${name} is running (pid ${running.pid})`);
    const started = spawnService(name, await freePort());
    processes.push(started);
    const ready =
      started.role === 'api'
        ? async () =>
            fetch(`http://127.0.0.1:${started.port}/readyz`).then(
              (response) => response.ok,
              () => false,
            )
        : () => /^worker wkr_\S+ · /m.test(started.stderr());
    await waitFor(
      async () => {
        if (started.exited()) throw new Error(`${name} exited: ${started.stderr()}`);
        return ready();
      },
      { what: `${name} to be ready`, timeoutMs: 120_000, intervalMs: 100 },
    );
    return started;
  };

  let nginx: ChildProcess | undefined;
  let nginxLog = '';
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const close = async (): Promise<void> => {
    for (const member of processes) if (!member.exited()) member.kill('SIGKILL');
    await Promise.all(processes.map((member) => member.done));
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx?.once('exit', resolve));
      nginx.kill('SIGTERM');
      await exited;
    }
    await base.close();
    await otlp.close();
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    // Both replicas and both pools start at once (each start loads the CLI: seconds on a busy machine).
    await Promise.all([...Object.keys(apiPorts), ...pools.map((pool) => pool.service)].map(start));
    const file = join(directory, 'nginx.conf');
    writeFileSync(file, loopbackNginxConfig({ directory, upstreams: apiPorts, port }));
    nginx = spawn(
      'nginx',
      [
        '-p',
        directory,
        '-c',
        file,
        '-g',
        `daemon off; pid ${join(directory, 'nginx.pid')}; error_log stderr warn;`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    nginx.stderr?.on('data', (chunk: Buffer) => (nginxLog += chunk.toString()));
    await waitFor(
      async () => {
        if (nginx?.exitCode !== null) throw new Error(`nginx exited: ${nginxLog}`);
        return fetch(`${url}/readyz`).then(
          (response) => response.ok,
          () => false,
        );
      },
      { what: 'nginx to answer', timeoutMs: 20_000 },
    );
  } catch (error) {
    await close();
    throw error;
  }
  return {
    url,
    apiKey,
    base,
    otlp,
    pools,
    processes,
    live,
    start,
    accessLog: () => {
      try {
        return readFileSync(join(directory, 'access.log'), 'utf8');
      } catch {
        return '';
      }
    },
    close,
  };
}
