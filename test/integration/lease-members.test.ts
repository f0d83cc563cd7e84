import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TIMINGS } from '../../src/config/defaults.js';
import type { Timings } from '../../src/config/schema.js';
import { Election } from '../../src/cluster/election.js';
import { LeaseLostError } from '../../src/errors.js';
import { startRedisServers, type RedisServer } from '../../src/local/redis-server.js';
import { ControlPlane } from '../../src/store/control-plane.js';
import { quietLog } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const timings: Timings = { ...DEFAULT_TIMINGS };

function planeFor(members: RedisServer[], cluster: string, ignoreWindowMs = timings.leaseTtlMs): ControlPlane {
  return new ControlPlane(
    members.map((member) => ({ host: member.host, port: member.port })),
    { cluster, commandTimeoutMs: 500, ignoreWindowMs: () => ignoreWindowMs, log: quietLog },
  );
}

async function allCounted(plane: ControlPlane, count: number): Promise<void> {
  await waitFor(`${count} counted members`, () => plane.members.filter((member) => member.counts).length === count, {
    timeoutMs: 3 * timings.leaseTtlMs,
  });
}

test.serial(
  'a member restarted with its data wiped is ignored for one ttl and cannot help elect a second leader',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'stg-wipe-'));
    const members = await startRedisServers(3, dir);
    const [, m2, m3] = members as [RedisServer, RedisServer, RedisServer];
    const planeA = planeFor(members, 'wipe');
    const planeB = planeFor(members, 'wipe');
    t.teardown(async () => {
      await Promise.all([planeA.close(), planeB.close()]);
      await Promise.all(members.map((member) => member.stop('SIGKILL')));
      rmSync(dir, { recursive: true, force: true });
    });
    await Promise.all([allCounted(planeA, 3), allCounted(planeB, 3)]);

    // A leads with the lease on m1 and m2 only: m3 is down while it campaigns.
    await m3.stop('SIGKILL');
    const a = new Election(planeA, 'stg1', 'instance-a', () => timings, quietLog);
    const won = await a.campaign(1);
    t.true(won.won);
    t.is(won.granted, 2);

    // m2 loses its disk and restarts empty; m3 comes back empty too. Without the rule, B would get m2 + m3.
    await m2.stop('SIGKILL');
    m2.wipe();
    m3.wipe();
    await Promise.all([m2.restart(), m3.restart()]);
    await waitFor('B connected to the restarted members', () =>
      planeB.members.every((member) => member.client.status === 'ready'),
    );
    const b = new Election(planeB, 'stg2', 'instance-b', () => timings, quietLog);
    const refused = await b.campaign(2);
    t.false(refused.won, 'a second leader was elected with the help of restarted members');
    t.is(refused.granted, 0, 'restarted members do not count within one ttl of their restart');
    t.true(planeB.members[1]!.health().ignoredForMs > 0);
    t.is(planeB.members[1]!.health().runIdChanges, 1);

    // After one ttl the members count again; A never renewed, so its lease is gone and B may lead, with a higher term.
    await allCounted(planeB, 3);
    await waitFor("A's lease expired on m1", async () => (await m1Pttl(planeB)) < 0, {
      timeoutMs: 2 * timings.leaseTtlMs,
    });
    const later = await b.campaign(refused.fence + 1);
    t.true(later.won, later.reason);
    t.throws(() => a.assertLeading(), { instanceOf: LeaseLostError });
  },
);

/** Every member holds the fence (or the definition's version) at `value`. */
async function fencesAndVersions(plane: ControlPlane, what: 'fence' | 'version', value: number): Promise<boolean> {
  const read = await Promise.all(
    plane.members.map((member) =>
      what === 'fence' ? member.client.get(plane.keys.fence) : member.client.hget(plane.keys.definition, 'version'),
    ),
  );
  return read.every((found) => Number(found) === value);
}

async function m1Pttl(plane: ControlPlane): Promise<number> {
  return plane.members[0]!.client.pttl(plane.keys.lease);
}

test.serial("fencing: a deposed leader's write is refused by every member that saw the newer term", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stg-fence-'));
  const members = await startRedisServers(3, dir);
  const plane = planeFor(members, 'fence', 0);
  t.teardown(async () => {
    await plane.close();
    await Promise.all(members.map((member) => member.stop('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  });
  await allCounted(plane, 3);
  const short = { ...timings, leaseTtlMs: 300, pauseAllowanceMs: 10 };
  const old = new Election(plane, 'stg1', 'old', () => short, quietLog);
  t.true((await old.campaign(1)).won);
  // A write returns once a majority stored it; the rest completes behind it.
  t.true((await plane.fencedWrite(plane.keys.definition, 1, 1, { by: 'stg1' })).written >= plane.majority);
  await waitFor('the write on every member', () => fencesAndVersions(plane, 'version', 1));

  // stg1 stops renewing (a pause); its lease expires and stg2 is elected with term 2.
  // Every member's copy: each expires from the last renew that member stored, and a member still holding the old
  // lease would (rightly) refuse stg2, leaving it without the new fence.
  await waitFor('the old lease expired on every member', async () => {
    const left = await Promise.all(plane.members.map((member) => member.client.exists(plane.keys.lease)));
    return left.every((count) => count === 0);
  });
  const fresh = new Election(plane, 'stg2', 'new', () => short, quietLog);
  t.true((await fresh.campaign(2)).won);
  await waitFor('term 2 seen by every member', () => fencesAndVersions(plane, 'fence', 2));

  const stale = await plane.fencedWrite(plane.keys.definition, 1, 2, { by: 'stg1 after its pause' });
  t.deepEqual(stale, { written: 0, refused: 3, unchanged: 0 });
  t.deepEqual((await plane.readVersioned(plane.keys.definition))?.value, { by: 'stg1' });
  t.true((await plane.fencedWrite(plane.keys.definition, 2, 2, { by: 'stg2' })).written >= plane.majority);
  t.false((await old.renew()).reached > 0, 'the old leader cannot renew either');
});
