import { resolve } from 'node:path';
import ts from 'typescript';
import type { KubernetesResource } from './kustomize.ts';
import { repositoryRoot } from './repository.ts';

/**
 * Offline validation of Kubernetes objects, in two passes:
 * 1. `kubernetes-models` (the Kubernetes OpenAPI schemas compiled to validators): types, required fields,
 *    enums and formats. Its classes validate on `.validate()`, not on construction.
 * 2. Unknown fields, which those schemas allow (the API server rejects them with strict field validation,
 *    and a typo such as `readynessProbe` would otherwise pass silently): every object is type-checked
 *    against the same package's TypeScript interfaces, whose excess-property check names any field the
 *    Kubernetes API does not have.
 */

/** The module path of the kubernetes-models class for an apiVersion and kind. */
function modelModule(resource: KubernetesResource): string {
  return `kubernetes-models/${resource.apiVersion}/${resource.kind}`;
}

/** Validates one object against its schema; returns the problems (empty when valid). */
export async function schemaProblems(resource: KubernetesResource): Promise<string[]> {
  const name = `${resource.kind}/${resource.metadata.name}`;
  let module: Record<string, unknown>;
  try {
    module = (await import(modelModule(resource))) as Record<string, unknown>;
  } catch {
    return [`${name}: no schema for apiVersion ${resource.apiVersion}, kind ${resource.kind}`];
  }
  const Model = module[resource.kind];
  if (typeof Model !== 'function') return [`${name}: kubernetes-models has no class ${resource.kind}`];
  const instance = new (Model as new (data: unknown) => { validate(): void })(resource);
  try {
    instance.validate();
    return [];
  } catch (error) {
    return [`${name}: ${error instanceof Error ? error.message : String(error)}`];
  }
}

/**
 * Type-checks every object against its kubernetes-models interface; returns one line per problem (an
 * unknown field, or a value of the wrong type), naming the object.
 */
export function unknownFieldProblems(resources: readonly KubernetesResource[]): string[] {
  const fileName = resolve(repositoryRoot, 'packages/platform/test/deploy/__kubernetes_objects__.ts');
  const lines: string[] = [];
  const owners: string[] = [];
  resources.forEach((resource, index) => {
    lines.push(`import type { I${resource.kind} as Object${index} } from '${modelModule(resource)}';`);
    owners.push('');
  });
  resources.forEach((resource, index) => {
    const literal = JSON.stringify(resource, null, 1).split('\n');
    literal[0] = `export const object${index} = ${literal[0]}`;
    literal[literal.length - 1] = `${literal[literal.length - 1]} satisfies Object${index};`;
    for (const line of literal) {
      lines.push(line);
      owners.push(`${resource.kind}/${resource.metadata.name}`);
    }
  });
  const source = lines.join('\n');

  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) =>
    name === fileName
      ? ts.createSourceFile(name, source, languageVersion, true)
      : getSourceFile(name, languageVersion, onError, shouldCreate);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (name === fileName ? source : readFile(name));

  const program = ts.createProgram({ rootNames: [fileName], options, host });
  const sourceFile = program.getSourceFile(fileName);
  if (sourceFile === undefined) throw new Error('the generated source file was not loaded');
  return ts.getPreEmitDiagnostics(program, sourceFile).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    if (diagnostic.start === undefined) return message;
    const { line } = sourceFile.getLineAndCharacterOfPosition(diagnostic.start);
    const text = source.split('\n')[line]?.trim() ?? '';
    return `${owners[line] || 'imports'}: ${message} (at ${text})`;
  });
}
