import { describe, expect, it } from 'vitest';
import { isProtected, protectedInside } from './protected-paths.ts';

describe('isProtected', () => {
  it('protects the home inside the workspace, and nothing else of the workspace', () => {
    const area = { home: '/w/.autonoma', workspace: '/w' };
    expect(isProtected(area, '/w/.autonoma')).toBe(true);
    expect(isProtected(area, '/w/.autonoma/data/base/1')).toBe(true);
    expect(isProtected(area, '/w/.autonomy')).toBe(false);
    expect(isProtected(area, '/w/src/a.ts')).toBe(false);
    expect(isProtected(area, '/w')).toBe(false);
    expect(protectedInside(area)).toEqual(['/w/.autonoma']);
  });

  it('lends a workspace inside the home to its run, and nothing else of the home', () => {
    const area = { home: '/h', workspace: '/h/workspaces/r1' };
    expect(isProtected(area, '/h/workspaces/r1')).toBe(false);
    expect(isProtected(area, '/h/workspaces/r1/.autonoma/x')).toBe(false);
    expect(isProtected(area, '/h/workspaces/r2/x')).toBe(true);
    expect(isProtected(area, '/h/data/base')).toBe(true);
    expect(isProtected(area, '/h/autonoma.lock')).toBe(true);
    expect(isProtected(area, '/h')).toBe(true);
    expect(protectedInside(area)).toEqual([]);
  });

  it('protects a whole workspace that is the home or lies in its data directory', () => {
    expect(isProtected({ home: '/h', workspace: '/h' }, '/h/notes.txt')).toBe(true);
    expect(isProtected({ home: '/h', workspace: '/h/data' }, '/h/data/x')).toBe(true);
    expect(isProtected({ home: '/h', workspace: '/h/data/sub' }, '/h/data/sub/x')).toBe(true);
    expect(protectedInside({ home: '/h', workspace: '/h' })).toEqual([]);
  });

  it('protects nothing outside the home', () => {
    const area = { home: '/var/lib/autonoma', workspace: '/w' };
    expect(isProtected(area, '/w/x')).toBe(false);
    expect(isProtected(area, '/var/lib/autonoma-old/x')).toBe(false);
    expect(isProtected(area, '/var/lib/autonoma/data')).toBe(true);
    expect(protectedInside(area)).toEqual([]);
  });
});
