import YAML from 'yaml';
import { environmentNames } from '../../src/config/schema.ts';
import { asMapping, contractEnvironmentNames, readDeployFile, type Mapping } from './repository.ts';

/** The variables of deploy/.env.example (`NAME=value` lines), in order. */
export function readEnvExample(): Map<string, string> {
  const variables = new Map<string, string>();
  for (const line of readDeployFile('.env.example').split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(trimmed);
    if (!match?.[1]) throw new Error(`.env.example: cannot read '${line}'`);
    if (variables.has(match[1])) throw new Error(`.env.example: ${match[1]} is set twice`);
    variables.set(match[1], match[2] ?? '');
  }
  return variables;
}

/** A `${…}` reference in the Compose file. */
export interface Reference {
  name: string;
  /** `:?` / `?`: Compose refuses to start when the variable is unset (or empty, with `:?`). */
  required: boolean;
  defaultValue?: string;
}

const referencePattern =
  /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Every variable reference in a text (the `$$` escape excluded). */
export function referencesIn(text: string): Reference[] {
  const references: Reference[] = [];
  for (const match of text.matchAll(referencePattern)) {
    const name = match[1] ?? match[4];
    if (name === undefined) continue;
    const operator = match[2];
    references.push({
      name,
      required: operator === ':?' || operator === '?',
      ...(operator === ':-' || operator === '-' ? { defaultValue: match[3] ?? '' } : {}),
    });
  }
  return references;
}

/** Compose's interpolation of one string, with `variables` as the environment. */
export function interpolate(text: string, variables: ReadonlyMap<string, string>): string {
  return text.replace(
    referencePattern,
    (whole, braced?: string, operator?: string, argument?: string, bare?: string) => {
      if (whole === '$$') return '$';
      const name = (braced ?? bare) as string;
      const value = variables.get(name);
      const empty = value === undefined || value === '';
      switch (operator) {
        case ':-':
          return empty ? (argument ?? '') : value;
        case '-':
          return value ?? argument ?? '';
        case ':?':
          if (empty) throw new Error(`required variable ${name} is empty: ${argument ?? ''}`);
          return value;
        case '?':
          if (value === undefined) throw new Error(`required variable ${name} is unset: ${argument ?? ''}`);
          return value;
        default:
          return value ?? '';
      }
    },
  );
}

function interpolateAll(value: unknown, variables: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') return interpolate(value, variables);
  if (Array.isArray(value)) return value.map((item) => interpolateAll(item, variables));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateAll(item, variables)]),
    );
  }
  return value;
}

/** deploy/compose.yaml parsed (merge keys resolved), before interpolation. */
const composeRaw: unknown = YAML.parse(readDeployFile('compose.yaml'), { merge: true });

/** Every `${…}` reference in the values of deploy/compose.yaml (comments are not interpolated). */
export function composeReferences(): Reference[] {
  const references: Reference[] = [];
  const visit = (value: unknown): void => {
    if (typeof value === 'string') references.push(...referencesIn(value));
    else if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(visit);
  };
  visit(composeRaw);
  return references;
}

/**
 * deploy/compose.yaml as Compose sees it: YAML merge keys resolved, variables interpolated from
 * `.env.example` (required secrets, empty there, filled with placeholders as an operator would).
 */
export function loadCompose(): Mapping {
  const variables = new Map(readEnvExample());
  for (const reference of composeReferences()) {
    if (reference.required && (variables.get(reference.name) ?? '') === '') {
      variables.set(reference.name, `placeholder-${reference.name.toLowerCase()}`);
    }
  }
  return asMapping(interpolateAll(composeRaw, variables), 'compose.yaml');
}

/** The services of the Compose file. */
export function servicesOf(compose: Mapping): Record<string, Mapping> {
  const services = asMapping(compose['services'], 'services');
  return Object.fromEntries(Object.entries(services).map(([name, value]) => [name, asMapping(value, name)]));
}

/** A service's `environment`, as a map (list or mapping syntax). */
export function environmentOf(service: Mapping): Map<string, string> {
  const environment = service['environment'];
  if (Array.isArray(environment)) {
    return new Map(
      environment.map((entry) => {
        const [name = '', ...rest] = String(entry).split('=');
        return [name, rest.join('=')];
      }),
    );
  }
  return new Map(
    Object.entries(asMapping(environment ?? {}, 'environment')).map(([key, value]) => [key, String(value)]),
  );
}

/** A Compose duration (`90s`, `1m30s`, `2m`) in seconds. */
export function durationSeconds(value: unknown): number {
  const text = String(value);
  const match = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?$/.exec(text);
  if (match === null || text === '') throw new Error(`not a duration: ${text}`);
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}

/**
 * True when Autonoma reads this environment variable: ARCHITECTURE §9's names, the configuration schema's
 * own (packages/platform/src/config), OpenTelemetry's `OTEL_*` and `NODE_ENV`.
 */
export function isAutonomaVariable(name: string): boolean {
  return (
    contractEnvironmentNames.includes(name) ||
    Object.values(environmentNames).includes(name) ||
    name.startsWith('OTEL_') ||
    name === 'NODE_ENV'
  );
}
