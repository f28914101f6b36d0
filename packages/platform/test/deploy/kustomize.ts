import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { asList, asMapping, isMapping, parseYamlDocuments, type Mapping } from './repository.ts';

/**
 * A small, offline kustomize: exactly the features `deploy/k8s` uses, with kustomize's semantics, so the
 * rendered manifests can be validated without `kubectl`. Anything else in a kustomization.yaml is an
 * error here (never silently ignored): extending the kustomization means extending this renderer.
 * Supported: `resources` (files, multi-document, and directories holding a kustomization), `namespace`,
 * `images` (newName/newTag/digest) and `patches` given by `path` (strategic merge, targeted by
 * apiVersion/kind/name; list merge keys for containers, env, ports, volumes and volumeMounts).
 */

/** A Kubernetes object as rendered. */
export interface KubernetesResource extends Mapping {
  apiVersion: string;
  kind: string;
  metadata: Mapping & { name: string; namespace?: string };
}

const supportedFields = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images', 'patches']);
const clusterScopedKinds = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
]);
/** Strategic-merge keys of the lists the patches touch (from the Kubernetes API's patchMergeKey). */
const mergeKeys: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
};

/** Renders the kustomization in `directory` (an absolute path). */
export function renderKustomization(directory: string): KubernetesResource[] {
  const file = join(directory, 'kustomization.yaml');
  if (!existsSync(file)) throw new Error(`${directory}: no kustomization.yaml`);
  const kustomization = asMapping(parseYamlDocuments(readFileSync(file, 'utf8'), file)[0], file);
  const unsupported = Object.keys(kustomization).filter((key) => !supportedFields.has(key));
  if (unsupported.length > 0) {
    throw new Error(`${file}: fields ${unsupported.join(', ')} are not supported by the test renderer`);
  }
  if (
    kustomization['apiVersion'] !== 'kustomize.config.k8s.io/v1beta1' ||
    kustomization['kind'] !== 'Kustomization'
  ) {
    throw new Error(`${file}: expected apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization`);
  }

  let resources: KubernetesResource[] = [];
  for (const entry of asList(kustomization['resources'], `${file} resources`)) {
    const path = resolve(directory, String(entry));
    if (!existsSync(path)) throw new Error(`${file}: resource ${String(entry)} does not exist`);
    if (statSync(path).isDirectory()) resources.push(...renderKustomization(path));
    else resources.push(...readResources(path));
  }
  assertUnique(resources, file);

  for (const entry of asList(kustomization['patches'], `${file} patches`)) {
    const patch = asMapping(entry, `${file} patches`);
    const extra = Object.keys(patch).filter((key) => key !== 'path');
    if (extra.length > 0) throw new Error(`${file}: patch fields ${extra.join(', ')} are not supported`);
    const patchFile = resolve(directory, String(patch['path']));
    for (const patchResource of readResources(patchFile)) {
      const index = resources.findIndex((resource) => sameObject(resource, patchResource));
      if (index < 0) {
        throw new Error(
          `${relative(directory, patchFile)}: no resource ${patchResource.kind}/${patchResource.metadata.name} to patch`,
        );
      }
      resources[index] = strategicMerge(resources[index], patchResource, '') as KubernetesResource;
    }
  }

  const namespace = kustomization['namespace'];
  if (namespace !== undefined) {
    resources = resources.map((resource) =>
      clusterScopedKinds.has(resource.kind)
        ? resource
        : { ...resource, metadata: { ...resource.metadata, namespace: String(namespace) } },
    );
  }

  for (const entry of asList(kustomization['images'], `${file} images`)) {
    const image = asMapping(entry, `${file} images`);
    resources = resources.map((resource) => replaceImages(resource, image));
  }
  return resources;
}

/** Reads the Kubernetes objects of one YAML file. */
export function readResources(path: string): KubernetesResource[] {
  return parseYamlDocuments(readFileSync(path, 'utf8'), path).map((document, index) => {
    const resource = asMapping(document, `${path} document ${index + 1}`);
    const metadata = resource['metadata'];
    if (
      typeof resource['apiVersion'] !== 'string' ||
      typeof resource['kind'] !== 'string' ||
      !isMapping(metadata) ||
      typeof metadata['name'] !== 'string'
    ) {
      throw new Error(`${path} document ${index + 1}: apiVersion, kind and metadata.name are required`);
    }
    return resource as KubernetesResource;
  });
}

function sameObject(left: KubernetesResource, right: KubernetesResource): boolean {
  return (
    left.apiVersion === right.apiVersion &&
    left.kind === right.kind &&
    left.metadata.name === right.metadata.name
  );
}

function assertUnique(resources: readonly KubernetesResource[], file: string): void {
  const seen = new Set<string>();
  for (const resource of resources) {
    const key = `${resource.kind}/${resource.metadata.namespace ?? ''}/${resource.metadata.name}`;
    if (seen.has(key)) throw new Error(`${file}: ${key} is defined twice`);
    seen.add(key);
  }
}

/** Kubernetes strategic merge patch, for maps and for the keyed lists in `mergeKeys`. */
export function strategicMerge(target: unknown, patch: unknown, field: string): unknown {
  if (patch === null) return undefined;
  if (isMapping(target) && isMapping(patch)) {
    const result: Mapping = { ...target };
    for (const [key, value] of Object.entries(patch)) {
      const merged = strategicMerge(target[key], value, key);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    }
    return result;
  }
  const key = mergeKeys[field];
  if (key !== undefined && Array.isArray(target) && Array.isArray(patch)) {
    const result = [...target];
    for (const item of patch) {
      const patchItem = asMapping(item, `${field} item`);
      const index = result.findIndex((existing) => isMapping(existing) && existing[key] === patchItem[key]);
      if (index < 0) result.push(patchItem);
      else result[index] = strategicMerge(result[index], patchItem, '');
    }
    return result;
  }
  return patch;
}

function replaceImages(resource: KubernetesResource, image: Mapping): KubernetesResource {
  const podSpecs = podSpecsOf(resource);
  if (podSpecs.length === 0) return resource;
  const copy = structuredClone(resource);
  for (const podSpec of podSpecsOf(copy)) {
    for (const field of ['containers', 'initContainers']) {
      for (const container of asList(podSpec[field], field)) {
        const mapping = asMapping(container, field);
        const current = String(mapping['image']);
        const name = current.split('@')[0]?.replace(/:[^/:]+$/, '');
        if (name !== image['name']) continue;
        const newName = typeof image['newName'] === 'string' ? image['newName'] : name;
        if (typeof image['digest'] === 'string') mapping['image'] = `${newName}@${image['digest']}`;
        else if (image['newTag'] !== undefined) mapping['image'] = `${newName}:${String(image['newTag'])}`;
        else mapping['image'] = current.replace(name, newName);
      }
    }
  }
  return copy;
}

/** The pod specs inside a workload (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob). */
export function podSpecsOf(resource: KubernetesResource): Mapping[] {
  const spec = resource['spec'];
  if (!isMapping(spec)) return [];
  if (resource.kind === 'Pod') return [spec];
  if (resource.kind === 'CronJob') {
    const jobTemplate = spec['jobTemplate'];
    const jobSpec = isMapping(jobTemplate) ? jobTemplate['spec'] : undefined;
    const template = isMapping(jobSpec) ? jobSpec['template'] : undefined;
    return isMapping(template) && isMapping(template['spec']) ? [template['spec']] : [];
  }
  const template = spec['template'];
  return isMapping(template) && isMapping(template['spec']) ? [template['spec']] : [];
}
