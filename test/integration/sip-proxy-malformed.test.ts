import test from 'ava';
import { TcpClient, UdpClient, optionsToProxy, type Reply } from '../fixtures/sip/clients.js';
import { loadSipFixture, malformedCorpus } from '../fixtures/sip/fixtures.js';
import { ProxyProcess } from '../fixtures/sip/proxy-process.js';

// The malformed-message corpus (test/fixtures/sip/malformed/) against a running stg-sip-proxy over real UDP and TCP
// sockets: each message gets its answer or is dropped, and the process keeps serving. The probes are OPTIONS for the
// proxy itself (its own address in the Request-URI), which it answers 200.

const corpus = malformedCorpus();
let proxy: ProxyProcess;

test.before(async () => {
  proxy = await ProxyProcess.start({
    listen: [
      { transport: 'udp', address: '127.0.0.1', port: 0 },
      { transport: 'tcp', address: '127.0.0.1', port: 0 },
      { transport: 'udp', address: '::1', port: 0 },
      { transport: 'tcp', address: '::1', port: 0 },
    ],
    // Small limits, so that the oversize cases stay small; loopback exempt from the rate limit (many messages here).
    limits: { maxMessageBytes: 4096, maxHeaders: 64, exemptSources: ['127.0.0.1', '::1'] },
  });
});

test.after.always(async () => {
  await proxy?.stop();
});

let probes = 0;
const nextProbe = () => `probe-${++probes}@test`;

for (const entry of corpus) {
  test.serial(`UDP: ${entry.name} (${entry.what})`, async (t) => {
    const { port } = proxy.listener('udp');
    const client = await UdpClient.open();
    t.teardown(() => client.close());
    await client.send(loadSipFixture(`malformed/${entry.file}`), '127.0.0.1', port);
    // The proxy reads datagrams in order: an answer to the bad one would arrive before the probe's 200.
    const probe = nextProbe();
    await client.send(optionsToProxy(probe, 'UDP', proxy.listener('udp')), '127.0.0.1', port);
    const first = await client.next(`an answer from the proxy for ${entry.file}`);
    if (entry.udp.status === undefined) {
      t.deepEqual(
        [first.status, first.callId],
        [200, probe],
        `dropped: the first answer is the probe's (got ${first.status} ${first.reason})`,
      );
      return;
    }
    t.deepEqual([first.status, first.reason], [entry.udp.status, entry.udp.reason]);
    t.not(first.callId, probe);
    const second = await client.next('the answer to the probe');
    t.deepEqual([second.status, second.callId], [200, probe]);
  });
}

for (const entry of corpus) {
  test.serial(`TCP: ${entry.name} (${entry.what})`, async (t) => {
    const { port } = proxy.listener('tcp');
    const client = await TcpClient.connect('127.0.0.1', port);
    t.teardown(() => client.destroy());
    client.write(loadSipFixture(`malformed/${entry.file}`));
    if (entry.tcp.end) client.end();
    const expected = entry.tcp;
    if (expected.status !== undefined) {
      const answer = (await client.next(`the answer to ${entry.file}`)) as Reply;
      t.deepEqual([answer.status, answer.reason], [expected.status, expected.reason]);
    }
    if (expected.close) {
      await client.waitClosed(`the proxy to close the connection after ${entry.file}`);
      t.is(client.unread, 0, 'nothing else was sent');
      return;
    }
    // The connection goes on: a probe on it is answered next, and nothing came before its answer.
    const probe = nextProbe();
    client.write(optionsToProxy(probe, 'TCP', proxy.listener('tcp')));
    const next = (await client.next('the answer to the probe')) as Reply;
    t.deepEqual([next.status, next.callId], [200, probe]);
  });
}

test.serial(
  'after the corpus the process still answers OPTIONS on every listener, then stops cleanly with its counts',
  async (t) => {
    t.true(proxy.running);
    for (const family of [4, 6] as const) {
      const host = family === 4 ? '127.0.0.1' : '::1';
      const udp = await UdpClient.open(host);
      t.teardown(() => udp.close());
      const probe = nextProbe();
      await udp.send(
        optionsToProxy(probe, 'UDP', proxy.listener('udp', family)),
        host,
        proxy.listener('udp', family).port,
      );
      const reply = await udp.next(`OPTIONS over UDP IPv${family}`);
      t.deepEqual([reply.status, reply.callId], [200, probe]);
      t.regex(reply.text, /\r\nAllow: [^\r\n]*OPTIONS/);

      const tcp = await TcpClient.connect(host, proxy.listener('tcp', family).port);
      t.teardown(() => tcp.destroy());
      const tcpProbe = nextProbe();
      tcp.write(optionsToProxy(tcpProbe, 'TCP', proxy.listener('tcp', family)));
      const tcpReply = (await tcp.next(`OPTIONS over TCP IPv${family}`)) as Reply;
      t.deepEqual([tcpReply.status, tcpReply.callId], [200, tcpProbe]);
    }

    const stopped = await proxy.stop();
    t.deepEqual(stopped, { code: 0, signal: null });
    const last = proxy.logLines().find((line) => typeof line['counters'] === 'object');
    const counters = last?.['counters'] as Record<string, number>;
    // Every malformed message was counted: answered or dropped. A TCP message that never completed is no message.
    const answered =
      corpus.filter((c) => c.udp.status !== undefined && c.udp.status !== 200).length +
      corpus.filter((c) => c.tcp.status !== undefined).length;
    const dropped =
      corpus.filter((c) => c.udp.status === undefined).length +
      corpus.filter((c) => c.tcp.status === undefined && !c.tcp.end).length;
    t.is(counters['answeredMalformed'], answered);
    t.is(counters['droppedMalformed'], dropped);
    t.is(counters['handlerErrors'], 0);
  },
);
