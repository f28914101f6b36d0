import { describe, expect, it } from 'vitest';
import { sql, toQuery, type SqlValue } from './sql.ts';

describe('sql', () => {
  it('binds values as $n parameters in order of appearance', () => {
    const id = 'run-1';
    expect(toQuery(sql`SELECT * FROM runs WHERE id = ${id} AND version = ${3} AND ok = ${true}`)).toEqual({
      text: 'SELECT * FROM runs WHERE id = $1 AND version = $2 AND ok = $3',
      values: ['run-1', 3, true],
    });
  });

  it('inlines nested fragments and renumbers their parameters after the outer ones', () => {
    const inner = sql`org_id = ${'o1'} AND agent_id = ${'a1'}`;
    const query = toQuery(
      sql`SELECT ${1} FROM memories WHERE ${inner} AND kind = ${'fact'} OR (${inner}) LIMIT ${10}`,
    );
    expect(query.text).toBe(
      'SELECT $1 FROM memories WHERE org_id = $2 AND agent_id = $3 AND kind = $4 OR (org_id = $5 AND agent_id = $6) LIMIT $7',
    );
    expect(query.values).toEqual([1, 'o1', 'a1', 'fact', 'o1', 'a1', 10]);
  });

  it('numbers parameters of fragments nested several levels deep', () => {
    const leaf = sql`x = ${'leaf'}`;
    const middle = sql`(${leaf} OR y = ${'middle'})`;
    expect(toQuery(sql`${'first'} ${middle} ${sql`z = ${'last'}`}`)).toEqual({
      text: '$1 (x = $2 OR y = $3) z = $4',
      values: ['first', 'leaf', 'middle', 'last'],
    });
  });

  it('inlines raw text verbatim and an empty fragment as nothing', () => {
    const column = sql.raw('created_at');
    expect(toQuery(sql`ORDER BY ${column} DESC${sql``} LIMIT ${5}`)).toEqual({
      text: 'ORDER BY created_at DESC LIMIT $1',
      values: [5],
    });
    expect(toQuery(sql.raw("SELECT '$1'"))).toEqual({ text: "SELECT '$1'", values: [] });
  });

  it('joins fragments with a separator, renumbering across them', () => {
    const conditions = [sql`a = ${1}`, sql`b = ${2}`, sql.raw('c IS NULL'), sql`d = ${4}`];
    expect(toQuery(sql`WHERE ${sql.join(conditions, sql` AND `)} LIMIT ${9}`)).toEqual({
      text: 'WHERE a = $1 AND b = $2 AND c IS NULL AND d = $3 LIMIT $4',
      values: [1, 2, 4, 9],
    });
    expect(toQuery(sql.join([sql`only = ${1}`], sql`, `))).toEqual({ text: 'only = $1', values: [1] });
    expect(toQuery(sql`x${sql.join([], sql`, `)}y`)).toEqual({ text: 'xy', values: [] });
  });

  it('passes values to the driver as they are (null, bigint, Date, arrays, objects)', () => {
    const at = new Date(0);
    const values: SqlValue[] = [null, 12n, at, [1, 2], { a: 1 }, new Uint8Array([1])];
    const query = toQuery(
      sql`SELECT ${values[0] ?? null}, ${12n}, ${at}, ${[1, 2]}, ${{ a: 1 }}, ${new Uint8Array([1])}`,
    );
    expect(query.text).toBe('SELECT $1, $2, $3, $4, $5, $6');
    expect(query.values).toEqual(values);
    expect(query.values[2]).toBe(at);
  });

  it('refuses an undefined value instead of binding NULL silently', () => {
    const missing = undefined as unknown as string;
    expect(() => toQuery(sql`SELECT ${'a'}, ${missing}`)).toThrow('parameter 2 is undefined');
  });

  it('renders the same fragment the same way every time (a stable statement text)', () => {
    const fragment = sql`SELECT ${sql`${'a'}`}, ${'b'}`;
    expect(toQuery(fragment)).toEqual(toQuery(fragment));
  });
});
