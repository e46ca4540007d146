/**
 * The maintenance routines are routines, not quarterly DR drills: `drill list` says so, `drill run --quarter`
 * never selects them, `drill run --routines` selects them alone. (No estate is started: the selections are read
 * from an empty shard.)
 */
import { describe, expect, it } from 'vitest';
import { drill, drillInOwnTmp } from '../cli.ts';

interface ListedDrill {
  id: string;
  quarter: string;
  kind: 'drill' | 'routine';
  backends: string[];
}

const ROUTINES = ['maintenance-daily', 'maintenance-monthly', 'maintenance-weekly'];

describe('routines', () => {
  it('drill list marks the maintenance routines as routines, and only them', async () => {
    const json = await drill(['list', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const listed = JSON.parse(json.stdout) as ListedDrill[];
    expect(
      listed
        .filter((d) => d.kind === 'routine')
        .map((d) => d.id)
        .sort(),
    ).toEqual(ROUTINES);
    const text = await drill(['list']);
    expect(text.stdout).toMatch(/^maintenance-daily\s+routine\s+Daily maintenance/m);
    expect(text.stdout).toMatch(/^q1-db-failover\s+Q1\s+/m);
  });

  it('--quarter Q4 selects the full DR exercise, no routine; --routines the routines alone', async () => {
    const listed = JSON.parse((await drill(['list', '--json'])).stdout) as ListedDrill[];
    // Q4 is the plan's full exercise (the other Q4 drills run by id); routines, tagged Q4 too, are never selected.
    const q4 = listed.filter((d) => d.id === 'q4-full-exercise' && d.backends.includes('local'));
    expect(q4).toHaveLength(1);
    // A shard past the end of the selection runs nothing and says how many drills were selected.
    const quarter = await drillInOwnTmp(['run', '--quarter', 'Q4', '--backend', 'local', '--shard', '20/20']);
    expect(quarter.code, quarter.stderr).toBe(0);
    expect(quarter.stdout).toContain(`shard 20/20: 0 of ${q4.length} drills`);
    expect(quarter.created).toEqual([]);
    const routines = await drillInOwnTmp(['run', '--routines', '--backend', 'local', '--shard', '20/20']);
    expect(routines.code, routines.stderr).toBe(0);
    expect(routines.stdout).toContain(`shard 20/20: 0 of ${ROUTINES.length} drills`);
    expect(routines.created).toEqual([]);
  });

  it('--routines with --quarter is refused before anything starts', async () => {
    const res = await drillInOwnTmp(['run', '--routines', '--quarter', 'Q4']);
    expect(res.code).toBe(2);
    expect(res.stderr.trim()).toBe(
      'drill: run: --routines and --quarter exclude each other (routines have no quarter)',
    );
    expect(res.created).toEqual([]);
  });
});
