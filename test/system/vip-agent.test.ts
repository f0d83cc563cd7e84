/**
 * resource-agents/vip, driven by the project's OCF driver inside two network namespaces joined by a veth pair
 * (vip-netns.ts): node 198.51.100.11 gets the VIP 198.51.100.10 (2001:db8::10), peer 198.51.100.100 watches it.
 *
 * How the agent runs inside a namespace: the driver takes a CommandRunner (DriverOptions.runner, the injection point
 * meant for tests), and ours is the project's own runCommand with `ip netns exec NS` in front. `ip netns exec`
 * execs the agent in place (no extra process), so the driver's process-group timeout still reaches it, the driver
 * still resolves and passes the real agent path (OCF_RESOURCE_TYPE=vip), and no wrapper script is needed.
 * `announce` is not an operation of the driver (it knows start/stop/monitor/validate-all/meta-data): the tests
 * run it through the same runner with the environment the driver gives, and read it with the driver's `interpret`.
 *
 * Root only: without root every test FAILS with the reason (never skips).
 */
import { chmodSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type { ResourceDefinition } from '../../src/config/schema.js';
import { runCommand, type CommandRunner } from '../../src/resources/command.js';
import { BUNDLED_AGENTS_DIR, createDriver } from '../../src/resources/driver.js';
import { interpret, OCF_ROOT, OcfDriver } from '../../src/resources/ocf-driver.js';
import type { ResourceContext, ResourceDriver } from '../../src/resources/types.js';
import { measureHostStalls } from '../helpers/host-stalls.js';
import { waitFor } from '../helpers/wait.js';
import { isAlive, resource, temporaryDir, testContext } from '../unit/resources/fixture.js';
import { NIC, VethPair } from './vip-netns.js';

const AGENT = join(BUNDLED_AGENTS_DIR, 'vip');
const VIP4 = '198.51.100.10/24';
const VIP6 = '2001:db8::10/64';
/** iproute2's ip by absolute path, so that a test can hand the agent a PATH without it. */
const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((path) => existsSync(path)) ?? 'ip';
/** A MAC no interface here has: the peer's neighbour entry for the VIP starts with it. */
const BOGUS_MAC = '02:00:00:00:00:01';
/** The kernel checks lifetimes on a timer rounded up to a whole second when that costs at most HZ/4. */
const KERNEL_ROUNDING_MS = 250;
/** The kernel's worker, then ip monitor, waking on a busy machine (1.22 s seen with both cores kept busy). */
const SCHEDULING_MS = 250;

/** Fails (never skips) the test when not root, saying why. */
function requireRoot(t: ExecutionContext): void {
  const uid = process.getuid?.();
  if (uid === 0) return;
  const message =
    `the VIP agent tests need root (they create network namespaces and addresses) and run as uid ` +
    `${uid ?? 'unknown'}: run them as root, e.g. \`sudo npm test\`; they fail rather than skip`;
  t.log(message);
  throw new Error(message);
}

/** A fresh veth pair, destroyed when the test ends, failed or not. */
async function bed(t: ExecutionContext): Promise<VethPair> {
  requireRoot(t);
  const pair = await VethPair.create();
  t.teardown(() => pair.destroy());
  return pair;
}

/** The project's runner with `ip netns exec NS` in front; `env` is added to the agent's environment. */
function netnsRunner(ns: string, env: Record<string, string> = {}): CommandRunner {
  return (file, args, options) =>
    runCommand(IP, ['netns', 'exec', ns, file, ...args], { ...options, env: { ...options.env, ...env } });
}

function vipDefinition(params: Record<string, string>): ResourceDefinition {
  return resource({
    id: 'vip',
    kind: 'ocf',
    agent: AGENT,
    placement: 'leader',
    params: { nic: NIC, ...params },
    timeouts: { startMs: 5000, stopMs: 5000, monitorMs: 5000 },
  });
}

interface Vip {
  driver: ResourceDriver;
  context: ResourceContext;
  /** One announce run, as the stg-cluster agent would make it. */
  announce(): Promise<{ rc: number; reason: string; ms: number; stderr: string }>;
}

function vip(t: ExecutionContext, ns: string, params: Record<string, string>, env: Record<string, string> = {}): Vip {
  const definition = vipDefinition(params);
  const runner = netnsRunner(ns, env);
  const driver = createDriver(definition, { runner });
  const context = testContext(t, { node: 'stg1', term: 3 });
  const announce = async () => {
    const timeoutMs = 5000;
    const started = performance.now();
    const outcome = await runner(AGENT, ['announce'], {
      timeoutMs,
      env: {
        ...Object.fromEntries(Object.entries(definition.params).map(([name, value]) => [`OCF_RESKEY_${name}`, value])),
        OCF_ROOT,
        OCF_RESOURCE_INSTANCE: definition.id,
        OCF_RESOURCE_TYPE: 'vip',
        OCF_RESKEY_CRM_meta_timeout: String(timeoutMs),
        HA_RSCTMP: join(context.stateDir, 'rsctmp'),
        STG_NODE: context.node,
        STG_TERM: String(context.term),
      },
    });
    const ms = Math.round(performance.now() - started);
    return { ...interpret(AGENT, outcome, timeoutMs), ms, stderr: outcome.stderr };
  };
  return { driver, context, announce };
}

interface AddressInfo {
  family: string;
  local: string;
  prefixlen: number;
  tentative?: boolean;
  dadfailed?: boolean;
  nodad?: boolean;
  valid_life_time?: number;
}

/** The node's addresses on the veth, from the kernel (not through the agent). */
async function addresses(pair: VethPair, ns: string): Promise<AddressInfo[]> {
  const [link] = JSON.parse(await pair.ip(ns, ['-j', 'addr', 'show', 'dev', NIC])) as { addr_info: AddressInfo[] }[];
  return link?.addr_info ?? [];
}

async function holds(pair: VethPair, ns: string, cidr: string): Promise<AddressInfo | undefined> {
  const [address, prefix] = cidr.split('/');
  return (await addresses(pair, ns)).find((a) => a.local === address && a.prefixlen === Number(prefix));
}

/** The MAC the peer has for an address, or undefined. */
async function neighbourMac(pair: VethPair, address: string): Promise<string | undefined> {
  const entries = JSON.parse(await pair.ip(pair.peer, ['-j', 'neigh', 'show', 'to', address, 'dev', NIC])) as {
    lladdr?: string;
  }[];
  return entries[0]?.lladdr;
}

/** ocf-tester's sequence: monitor=7, start, monitor=0, start again, stop, stop again, monitor=7. */
async function ocfTesterSequence(t: ExecutionContext, pair: VethPair, cidr: string) {
  const { driver, context } = vip(t, pair.node, { ip: cidr });
  const steps = [
    ['monitor a stopped resource', () => driver.monitor(context), 7, false],
    ['start', () => driver.start(context), 0, true],
    ['monitor a started resource', () => driver.monitor(context), 0, true],
    ['start a started resource', () => driver.start(context), 0, true],
    ['stop', () => driver.stop(context), 0, false],
    ['stop a stopped resource', () => driver.stop(context), 0, false],
    ['monitor a stopped resource again', () => driver.monitor(context), 7, false],
  ] as const;
  for (const [what, run, expected, present] of steps) {
    const result = await run();
    t.is(result.rc, expected, `${what}: ${result.rcName} ${result.reason}`);
    t.false(result.timedOut, what);
    t.is(Boolean(await holds(pair, pair.node, cidr)), present, `${what}: ${cidr} on the node's ${NIC}`);
  }
}

test.serial('IPv4: the ocf-tester sequence through the OCF driver', async (t) => {
  const pair = await bed(t);
  await ocfTesterSequence(t, pair, VIP4);
});

test.serial('IPv6: the ocf-tester sequence through the OCF driver', async (t) => {
  const pair = await bed(t);
  await ocfTesterSequence(t, pair, VIP6);
});

test.serial('validate-all names a bad address and a missing interface; start validates first', async (t) => {
  const pair = await bed(t);
  const bad = vip(t, pair.node, { ip: '198.51.100.300/24' });
  let result = await bad.driver.validate(bad.context);
  t.is(result.rc, 6);
  t.is(result.reason, 'ip="198.51.100.300/24" is not an IPv4 or IPv6 address with a prefix');
  for (const ip of ['198.51.100.10', '198.51.100.10/33', '2001:db8:::10/64', '2001:db8::10/129', '198.51.100.010/24']) {
    const other = vip(t, pair.node, { ip });
    result = await other.driver.validate(other.context);
    t.is(result.rc, 6, ip);
    t.is(result.reason, `ip="${ip}" is not an IPv4 or IPv6 address with a prefix`);
  }

  const missing = vip(t, pair.node, { ip: VIP4, nic: 'eth9' });
  result = await missing.driver.validate(missing.context);
  t.is(result.rc, 6);
  t.is(result.reason, 'nic "eth9" does not exist');
  result = await missing.driver.start(missing.context);
  t.is(result.rc, 6, 'start validates first');
  t.is(result.reason, 'nic "eth9" does not exist');
  result = await missing.driver.monitor(missing.context);
  t.is(result.rc, 7, 'the address cannot be on a missing interface: not running');
  t.is((await missing.driver.stop(missing.context)).rc, 0, 'stopping what cannot be there succeeds');

  const lifetime = vip(t, pair.node, { ip: VIP4, lifetime: '1.5' });
  result = await lifetime.driver.validate(lifetime.context);
  t.is(result.rc, 6);
  t.is(result.reason, 'lifetime="1.5" is not a whole number');

  for (const ip of [VIP4, VIP6]) {
    const good = vip(t, pair.node, { ip });
    t.is((await good.driver.validate(good.context)).rc, 0, ip);
  }
  t.is(await holds(pair, pair.node, VIP4), undefined, 'nothing added by validation');
});

test.serial('validate-all says rc 5 when ip, arping or send_ua is not installed', async (t) => {
  const pair = await bed(t);
  const empty = temporaryDir(t, 'stg-vip-path-');
  const noTools = vip(t, pair.node, { ip: VIP4 }, { PATH: empty });
  // The runner starts `ip netns exec` by its absolute path; the agent then sees only the empty folder.
  let result = await noTools.driver.validate(noTools.context);
  t.is(result.rc, 5);
  t.is(result.reason, 'ip (iproute2) is not installed');

  const onlyIp = temporaryDir(t, 'stg-vip-path-');
  symlinkSync(IP, join(onlyIp, 'ip'));
  const noArping = vip(t, pair.node, { ip: VIP4 }, { PATH: onlyIp });
  result = await noArping.driver.validate(noArping.context);
  t.is(result.rc, 5);
  t.regex(result.reason, /^arping is not installed/);
  t.is((await noArping.driver.start(noArping.context)).rc, 5, 'start validates first');
  t.is(await holds(pair, pair.node, VIP4), undefined);

  const noSendUa = vip(t, pair.node, { ip: VIP6 }, { HA_BIN: empty });
  result = await noSendUa.driver.validate(noSendUa.context);
  t.is(result.rc, 5);
  t.is(result.reason, `${empty}/send_ua is not installed (Debian package resource-agents): needed to announce ${VIP6}`);
});

test.serial('meta-data describes the parameters and the announce action', async (t) => {
  const pair = await bed(t);
  const { driver, context } = vip(t, pair.node, { ip: VIP4 });
  if (!(driver instanceof OcfDriver)) return t.fail('createDriver gave no OCF driver');
  const { result, xml } = await driver.metaData(context);
  t.is(result.rc, 0);
  for (const name of ['ip', 'nic', 'lifetime', 'arp_count', 'arp_interval_ms']) {
    t.regex(xml, new RegExp(`<parameter name="${name}"`), name);
  }
  t.regex(xml, /<parameter name="ip" unique="1" required="1">/);
  t.regex(xml, /<parameter name="nic" unique="0" required="1">/);
  for (const action of ['start', 'stop', 'monitor', 'announce', 'meta-data', 'validate-all']) {
    t.regex(xml, new RegExp(`<action name="${action}"`), action);
  }
});

/** One `ip -ts monitor address` in the node's namespace: address events with the kernel-side wall time (ms). */
function addressEvents(pair: VethPair) {
  const events: { deleted: boolean; text: string; wallMs: number }[] = [];
  const child = pair.spawn(pair.node, 'ip', ['-ts', 'monitor', 'address']);
  let buffer = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      // [2026-11-26T12:21:44.476347] Deleted 2: vip0    inet 198.51.100.10/24 ...
      const match = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)\] (Deleted )?(.*)$/.exec(line);
      if (!match) continue;
      const wallMs = new Date(match[1]!).getTime() + Number(match[2]) * 1000;
      events.push({ deleted: match[3] !== undefined, text: match[4]!, wallMs });
    }
  });
  return { events, child };
}

/** Waits until the monitor reports events: adds and deletes a marker address until one shows up. */
async function monitorReady(pair: VethPair, events: { text: string }[]) {
  const marker = '198.51.100.99/32';
  await waitFor(
    'ip monitor to report the marker address',
    async () => {
      await pair.ip(pair.node, ['addr', 'replace', marker, 'dev', NIC]);
      await pair.ip(pair.node, ['addr', 'del', marker, 'dev', NIC]);
      return events.some((event) => event.text.includes(` ${marker} `));
    },
    { timeoutMs: 5000, everyMs: 50 },
  );
}

test.serial('lifetime=1: the kernel drops the address by itself, about 1 s after start', async (t) => {
  const pair = await bed(t);
  const { events } = addressEvents(pair);
  await monitorReady(pair, events);
  const { driver, context } = vip(t, pair.node, { ip: VIP4, lifetime: '1' });
  const stalls = await measureHostStalls();
  t.teardown(() => stalls.stop());
  const before = Date.now();
  const started = await driver.start(context);
  t.is(started.rc, 0, started.reason);
  const info = await holds(pair, pair.node, VIP4);
  t.truthy(info, 'added');
  t.true((info?.valid_life_time ?? Infinity) <= 1, `valid_lft ${info?.valid_life_time}`);
  const isVip = (text: string) => text.includes(` ${VIP4} `);
  const [added, deleted] = await waitFor(
    `${VIP4} deleted by the kernel`,
    () => {
      const add = events.find((event) => !event.deleted && isVip(event.text) && event.wallMs >= before - 50);
      const del = add && events.find((event) => event.deleted && isVip(event.text) && event.wallMs >= add.wallMs);
      return add && del ? ([add, del] as const) : undefined;
    },
    { timeoutMs: 5000, everyMs: 10 },
  );
  const lifeMs = deleted.wallMs - added.wallMs;
  const stalledMs = await stalls.stalledMs(added.wallMs, deleted.wallMs);
  const others = events
    .filter((event) => event.wallMs >= added.wallMs && event.wallMs <= deleted.wallMs && !isVip(event.text))
    .map((event) => `+${(event.wallMs - added.wallMs).toFixed(0)} ms ${event.deleted ? 'deleted ' : ''}${event.text}`);
  const seen =
    `gone ${lifeMs.toFixed(0)} ms after it was added (${(added.wallMs - before).toFixed(0)} ms into the start ` +
    `call); host stalled ${stalledMs} ms meanwhile; other address events: ${others.join('; ') || 'none'}`;
  t.log(seen);
  // The kernel counts an address 20 ms (HZ/50) short of its lifetime as expired: 980 ms is on time.
  t.true(lifeMs >= 950, `${seen}: before its lifetime`);
  // The design's promise (ARCHITECTURE.md, the kernel layer): gone within the lifetime plus 0.25 s, the kernel
  // rounding its check up to a whole second within HZ/4. On top: the kernel worker and ip monitor being scheduled,
  // and any while the host did not run this VM at all (CI once saw 3.0 s here, before stalls were measured).
  t.true(lifeMs <= 1000 + KERNEL_ROUNDING_MS + SCHEDULING_MS + stalledMs, `${seen}: later than its lifetime allows`);
  const monitored = await driver.monitor(context);
  t.is(monitored.rc, 7, 'monitor sees it gone');
  t.is((await driver.stop(context)).rc, 0, 'stop of an expired address succeeds');
});

test.serial('start on a present address refreshes its lifetime (and lifetime 0 makes it forever)', async (t) => {
  const pair = await bed(t);
  const short = vip(t, pair.node, { ip: VIP4, lifetime: '2' });
  t.is((await short.driver.start(short.context)).rc, 0);
  t.true(((await holds(pair, pair.node, VIP4))?.valid_life_time ?? Infinity) <= 2);
  const long = vip(t, pair.node, { ip: VIP4, lifetime: '30' });
  t.is((await long.driver.start(long.context)).rc, 0, 'idempotent start');
  const refreshed = (await holds(pair, pair.node, VIP4))?.valid_life_time ?? 0;
  t.true(refreshed > 20 && refreshed <= 30, `valid_lft ${refreshed} after the refresh`);
  const forever = vip(t, pair.node, { ip: VIP4 });
  t.is((await forever.driver.start(forever.context)).rc, 0);
  t.is((await holds(pair, pair.node, VIP4))?.valid_life_time, 4294967295, 'forever');
  t.is((await addresses(pair, pair.node)).filter((a) => a.local === '198.51.100.10').length, 1, 'one address');
  t.is((await forever.driver.stop(forever.context)).rc, 0);
});

/**
 * Seen in the peer's neighbour table: Linux does not create an entry from a gratuitous ARP (arp_accept=0) but
 * updates an existing one, so the peer gets an entry with a MAC nobody has, and the announcement must replace it
 * with the node's. That needs no capture tool and no race with a capture's start (tcpdump -c1 would, and would
 * only show that a packet left, not that a neighbour took it).
 */
async function announceUpdatesPeer(t: ExecutionContext, cidr: string) {
  const pair = await bed(t);
  const address = cidr.split('/')[0]!;
  const nodeMac = await pair.mac(pair.node);
  await pair.ip(pair.peer, ['neigh', 'replace', address, 'lladdr', BOGUS_MAC, 'dev', NIC, 'nud', 'stale']);
  const { driver, context, announce } = vip(t, pair.node, { ip: cidr });

  const refused = await announce();
  t.is(refused.rc, 7, 'no announcement for an address the node does not hold');
  t.is(refused.reason, `not announced: ${cidr} is not on ${NIC}`);

  t.is((await driver.start(context)).rc, 0);
  t.is(await neighbourMac(pair, address), BOGUS_MAC, 'adding the address announced nothing by itself');
  const sent = await announce();
  t.is(sent.rc, 0, `${sent.reason} ${sent.stderr}`);
  t.log(`one announce run took ${sent.ms} ms`);
  t.true(sent.ms < 1000, `announce took ${sent.ms} ms`);
  await waitFor(
    `the peer to learn ${address} is at ${nodeMac}`,
    async () => (await neighbourMac(pair, address)) === nodeMac,
    {
      timeoutMs: 3000,
      describe: async () => `peer's entry ${await neighbourMac(pair, address)}`,
    },
  );
  t.is((await driver.stop(context)).rc, 0);
  const after = await announce();
  t.is(after.rc, 7, 'nothing announced after stop');
}

test.serial('IPv4 announce: one gratuitous ARP reaches the peer and updates its neighbour entry', async (t) => {
  await announceUpdatesPeer(t, VIP4);
});

test.serial('IPv6 announce: one unsolicited neighbour advertisement updates the peer', async (t) => {
  await announceUpdatesPeer(t, VIP6);
});

test.serial('IPv6 start adds with nodad: monitor is 0 at once, never tentative', async (t) => {
  const pair = await bed(t);
  const { driver, context } = vip(t, pair.node, { ip: VIP6 });
  t.is((await driver.start(context)).rc, 0);
  const monitored = await driver.monitor(context);
  t.is(monitored.rc, 0, monitored.reason);
  const info = await holds(pair, pair.node, VIP6);
  t.truthy(info?.nodad, 'nodad');
  t.falsy(info?.tentative, 'not tentative');
  t.is((await driver.stop(context)).rc, 0);
});

test.serial('IPv6: a tentative address is a failure of monitor; start makes it usable (nodad)', async (t) => {
  const pair = await bed(t);
  // With the link down, an address added with duplicate address detection stays tentative.
  await pair.ip(pair.node, ['link', 'set', NIC, 'down']);
  await pair.ip(pair.node, ['addr', 'add', VIP6, 'dev', NIC]);
  t.true((await holds(pair, pair.node, VIP6))?.tentative, 'tentative while the link is down');
  const { driver, context } = vip(t, pair.node, { ip: VIP6 });
  const monitored = await driver.monitor(context);
  t.is(monitored.rc, 1);
  t.is(monitored.reason, `${VIP6} on ${NIC} is tentative (duplicate address detection not finished)`);
  const started = await driver.start(context);
  t.is(started.rc, 0, started.reason);
  t.falsy((await holds(pair, pair.node, VIP6))?.tentative, 'added again with nodad');
  t.is((await driver.monitor(context)).rc, 0);
  t.is((await driver.stop(context)).rc, 0);
});

/**
 * An arping that hangs before it sends (writes its pid, sleeps, then "sends" by writing a file): what a slow
 * announcement looks like to a stop. Habets' version string, so the agent takes its usual path.
 */
function hangingArping(t: ExecutionContext): { path: string; pidFile: string; sentFile: string } {
  const dir = temporaryDir(t, 'stg-vip-arping-');
  const pidFile = join(dir, 'arping.pid');
  const sentFile = join(dir, 'arping.sent');
  const script = join(dir, 'arping');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      'case "$1" in -V) echo "ARPing 2.21, by Thomas Habets <thomas@habets.se>"; exit 0 ;; esac',
      `echo $$ >${pidFile}`,
      'sleep 60',
      `echo sent >${sentFile}`,
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return { path: `${dir}:${process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`, pidFile, sentFile };
}

test.serial('stop ends an announcement still under way before it removes the address', async (t) => {
  const pair = await bed(t);
  const arping = hangingArping(t);
  const { driver, context, announce } = vip(t, pair.node, { ip: VIP4 }, { PATH: arping.path });
  t.is((await driver.start(context)).rc, 0);

  const running = announce();
  await waitFor('the announcement to be under way (arping started)', () => existsSync(arping.pidFile), {
    timeoutMs: 5000,
  });
  const arpingPid = Number(readFileSync(arping.pidFile, 'utf8'));
  const stopped = await driver.stop(context);
  t.is(stopped.rc, 0, `${stopped.rcName} ${stopped.reason}`);
  // The stop returned only once the announce run and its arping were dead: nothing of it can send any more.
  t.false(isAlive(arpingPid), 'the announcer is dead when stop returns');
  t.false(existsSync(arping.sentFile), 'the announcement never went out');
  t.is(await holds(pair, pair.node, VIP4), undefined);
  const ended = await running;
  t.not(ended.rc, 0, 'the announce run was ended, not completed');
});

test.serial('an announce run gives up while a stop is under way; a start lifts that', async (t) => {
  const pair = await bed(t);
  const { driver, context, announce } = vip(t, pair.node, { ip: VIP4 });
  t.is((await driver.start(context)).rc, 0);
  // The mark a stop leaves while it works (and a stop killed by its timeout leaves behind).
  writeFileSync(join(context.stateDir, 'rsctmp', `vip-${VIP4.split('/')[0]}-${NIC}.stopping`), '');
  const refused = await announce();
  t.is(refused.rc, 7);
  t.is(refused.reason, `not announced: a stop of ${VIP4} is under way`);
  t.is((await driver.start(context)).rc, 0);
  const sent = await announce();
  t.is(sent.rc, 0, `${sent.reason} ${sent.stderr}`);
  t.is((await driver.stop(context)).rc, 0);
});
