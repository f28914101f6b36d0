import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDeployFile, repositoryRoot } from './repository.ts';

/**
 * deploy/Dockerfile, checked statically (no Docker engine runs on these machines): its stages, base
 * image, user, health check and entry point, the files it copies, and the build context filter.
 */

interface Instruction {
  keyword: string;
  arguments: string;
}

interface Stage {
  name: string;
  image: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (continuation lines joined, comments dropped). */
function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    // Comments (and the `# syntax=` directive) are dropped, inside continued instructions too.
    if (/^\s*#/.test(line)) continue;
    if (line.trimEnd().endsWith('\\')) {
      current += `${line.trimEnd().slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim() !== '') logical.push(current.trim());
    current = '';
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), arguments: rest.join(' ') };
    if (instruction.keyword === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.arguments);
      if (!match?.[1]) throw new Error(`cannot read FROM ${instruction.arguments}`);
      stages.push({ image: match[1], name: match[2] ?? String(stages.length), instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) {
      if (instruction.keyword === 'ARG') continue;
      throw new Error(`${instruction.keyword} before the first FROM`);
    }
    stage.instructions.push(instruction);
  }
  return stages;
}

const dockerfile = readDeployFile('Dockerfile');
const stages = parseDockerfile(dockerfile);
const stage = (name: string): Stage => {
  const found = stages.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no stage named ${name}`);
  return found;
};
const final = stages.at(-1) as Stage;
const runs = (candidate: Stage): string[] =>
  candidate.instructions.filter((instruction) => instruction.keyword === 'RUN').map((i) => i.arguments);
const copies = (candidate: Stage): { from?: string; sources: string[]; destination: string }[] =>
  candidate.instructions
    .filter((instruction) => instruction.keyword === 'COPY')
    .map((instruction) => {
      const words = instruction.arguments.split(/\s+/);
      const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((word) => !word.startsWith('--'));
      return { ...(from ? { from } : {}), sources: paths.slice(0, -1), destination: paths.at(-1) ?? '' };
    });
/** The image a stage ultimately builds on, following `FROM <stage>`. */
const rootImage = (candidate: Stage): string => {
  const parent = stages.find((other) => other.name === candidate.image);
  return parent === undefined ? candidate.image : rootImage(parent);
};

describe('deploy/Dockerfile', () => {
  it('has the deps, web and runtime stages, the runtime stage last, all on Node 24', () => {
    const names = stages.map((candidate) => candidate.name);
    expect(names).toEqual(expect.arrayContaining(['deps', 'web', 'runtime']));
    expect(final.name).toBe('runtime');
    for (const candidate of stages) expect(rootImage(candidate), candidate.name).toMatch(/^node:24[-.]/);
    const rootPackage = JSON.parse(readFileSync(resolve(repositoryRoot, 'package.json'), 'utf8')) as {
      devDependencies?: Record<string, string>;
    };
    // The image runs the Node major the project pins for itself.
    expect(rootPackage.devDependencies?.['node']).toMatch(/^\D*24\./);
  });

  it('installs production dependencies with npm install --omit=dev, never npm ci', () => {
    for (const candidate of stages) {
      for (const command of runs(candidate)) expect(command, candidate.name).not.toMatch(/\bnpm\s+ci\b/);
    }
    const install = runs(stage('deps')).join(' && ');
    expect(install).toMatch(/\bnpm install\b[^&]*--omit=dev/);
    expect(copies(final).some((copy) => copy.from === 'deps')).toBe(true);
    // Only the deps stage's node_modules reach the runtime: no stage with dev dependencies is copied whole.
    const webInstall = runs(stage('web')).join(' && ');
    expect(webInstall).toMatch(/\bnpm install\b/);
    for (const copy of copies(final).filter((candidate) => candidate.from === 'web')) {
      expect(copy.sources.every((source) => source.includes('apps/web/dist'))).toBe(true);
    }
  });

  it('copies every workspace manifest before installing, so npm sees the whole workspace tree', () => {
    const rootPackage = JSON.parse(readFileSync(resolve(repositoryRoot, 'package.json'), 'utf8')) as {
      workspaces: string[];
    };
    const copied = copies(stage('manifests')).flatMap((copy) => copy.sources);
    for (const workspace of [...rootPackage.workspaces, 'apps/web']) {
      expect(copied, workspace).toContain(`${workspace}/package.json`);
    }
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'package-lock.json']));
  });

  it('builds the dashboard in the web stage and ships its dist', () => {
    expect(runs(stage('web')).join(' && ')).toContain('npm run build -w apps/web');
    expect(copies(final)).toContainEqual(
      expect.objectContaining({ from: 'web', sources: ['/app/apps/web/dist/'] }),
    );
  });

  it('runs as a numeric non-root user, with a health check on /healthz and the API port exposed', () => {
    const users = final.instructions.filter((instruction) => instruction.keyword === 'USER');
    const user = users.at(-1)?.arguments ?? '';
    // Numeric, so Kubernetes' runAsNonRoot can verify it without /etc/passwd.
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(user.split(':').map(Number)).not.toContain(0);
    const healthcheck = final.instructions.find((instruction) => instruction.keyword === 'HEALTHCHECK');
    expect(healthcheck?.arguments).toContain('/healthz');
    expect(healthcheck?.arguments).toMatch(/--interval=\d+s/);
    const exposed = final.instructions
      .filter((instruction) => instruction.keyword === 'EXPOSE')
      .flatMap((instruction) => instruction.arguments.split(/\s+/));
    expect(exposed).toContain('8080');
  });

  it('starts the CLI entry point under an init process, serving by default', () => {
    const entrypoint = final.instructions.find((instruction) => instruction.keyword === 'ENTRYPOINT');
    const command = final.instructions.find((instruction) => instruction.keyword === 'CMD');
    const entry = JSON.parse(entrypoint?.arguments ?? 'null') as string[];
    expect(entry[0]).toMatch(/tini$/);
    expect(entry).toContain('/app/packages/platform/bin/autonoma.mjs');
    expect(existsSync(resolve(repositoryRoot, 'packages/platform/bin/autonoma.mjs'))).toBe(true);
    expect(JSON.parse(command?.arguments ?? 'null')).toEqual(['serve']);
    const environment = final.instructions
      .filter((instruction) => instruction.keyword === 'ENV')
      .map((instruction) => instruction.arguments)
      .join(' ');
    // Containers must listen on every interface; the default (127.0.0.1) would be unreachable.
    expect(environment).toMatch(/\bHOST=0\.0\.0\.0\b/);
    expect(environment).toMatch(/\bNODE_ENV=production\b/);
  });

  it('copies only files that exist (the dashboard sources once apps/web exists)', () => {
    const webExists = existsSync(resolve(repositoryRoot, 'apps/web'));
    for (const candidate of stages) {
      for (const copy of copies(candidate).filter((entry) => entry.from === undefined)) {
        for (const source of copy.sources) {
          if (source.startsWith('apps/web') && !webExists) continue;
          expect(existsSync(resolve(repositoryRoot, source)), `${candidate.name}: COPY ${source}`).toBe(true);
        }
      }
    }
  });

  describe('build context filter (deploy/Dockerfile.dockerignore)', () => {
    const patterns = readDeployFile('Dockerfile.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    /** Docker's pattern syntax (Go's filepath.Match plus `**`); dotfiles are not special. */
    const toRegExp = (pattern: string): RegExp => {
      let source = '';
      for (let index = 0; index < pattern.length; index += 1) {
        const character = pattern[index] as string;
        if (pattern.startsWith('**/', index)) {
          source += '(?:.*/)?';
          index += 2;
        } else if (pattern.startsWith('**', index)) {
          source += '.*';
          index += 1;
        } else if (character === '*') source += '[^/]*';
        else if (character === '?') source += '[^/]';
        else source += character.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return new RegExp(`^${source}$`);
    };
    /** Docker's rule: the last pattern matching the path or one of its parents decides. */
    const excluded = (path: string): boolean => {
      const parts = path.split('/');
      let result = false;
      for (const raw of patterns) {
        const negated = raw.startsWith('!');
        const pattern = toRegExp(negated ? raw.slice(1) : raw);
        const matches = parts.some((_, index) => pattern.test(parts.slice(0, index + 1).join('/')));
        if (matches) result = !negated;
      }
      return result;
    };

    it('lets in everything the Dockerfile copies', () => {
      const needed = [
        'package.json',
        'package-lock.json',
        'tsconfig.json',
        'packages/core/package.json',
        'packages/core/src/index.ts',
        'packages/core/src/protocol/index.ts',
        'packages/platform/package.json',
        'packages/platform/bin/autonoma.mjs',
        'packages/platform/src/index.ts',
        'packages/platform/src/cli/main.ts',
        'apps/web/package.json',
        'apps/web/index.html',
        'apps/web/src/main.tsx',
      ];
      for (const path of needed) expect(excluded(path), path).toBe(false);
      // Non-TypeScript files the server reads at run time (SQL migrations) are inside src/ too.
      const migrations = 'packages/platform/src/store/migrations';
      for (const file of readdirSync(resolve(repositoryRoot, migrations))) {
        expect(excluded(`${migrations}/${file}`), file).toBe(false);
      }
    });

    it('keeps secrets, local data, git history, host node_modules and tests out', () => {
      const unwanted = [
        '.env',
        'deploy/.env',
        'packages/platform/.env.local',
        '.git/HEAD',
        '.autonoma/data/PG_VERSION',
        'node_modules/zod/package.json',
        'packages/platform/node_modules/x/index.js',
        'apps/web/node_modules/react/index.js',
        'apps/web/dist/index.html',
        'packages/platform/src/config/load-config.test.ts',
        'packages/platform/test/support/postgres.ts',
        'bench/RESULTS.md',
        'deploy/compose.yaml',
      ];
      for (const path of unwanted) expect(excluded(path), path).toBe(true);
    });
  });
});
