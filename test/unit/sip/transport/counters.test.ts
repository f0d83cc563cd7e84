import test from 'ava';
import { TransportCounters } from '../../../../src/sip/transport/index.js';

const bytes = (text: string) => Buffer.from(text.replace(/\n/g, '\r\n'));

test('countSent counts responses by the first digit of their status code, in any case of SIP/2.0', (t) => {
  const counters = new TransportCounters();
  for (const line of ['SIP/2.0 100 Trying', 'SIP/2.0 180 Ringing', 'SIP/2.0 200 OK', 'sip/2.0 302 Moved']) {
    counters.countSent(bytes(`${line}\nVia: x\n\n`));
  }
  for (const status of [404, 486, 503, 603]) counters.countSent(bytes(`SIP/2.0 ${status} X\n\n`));
  t.like(counters, {
    responses1xx: 2,
    responses2xx: 1,
    responses3xx: 1,
    responses4xx: 2,
    responses5xx: 1,
    responses6xx: 1,
  });
});

test('countSent leaves requests, keep-alives and odd bytes uncounted', (t) => {
  const counters = new TransportCounters();
  counters.countSent(bytes('OPTIONS sip:a@b SIP/2.0\nVia: x\n\n'));
  counters.countSent(bytes('\n\n'));
  counters.countSent(bytes('SIP/2.0 '));
  counters.countSent(bytes('SIP/2.0 700 Beyond\n\n'));
  counters.countSent(bytes('SIP/3.0 200 OK\n\n'));
  const snapshot = counters.snapshot();
  for (const key of ['responses1xx', 'responses2xx', 'responses3xx', 'responses4xx', 'responses5xx', 'responses6xx']) {
    t.is(snapshot[key], 0, key);
  }
});

test('countDelivered counts by transport; the snapshot stays flat numbers', (t) => {
  const counters = new TransportCounters();
  for (const transport of ['udp', 'udp', 'tcp', 'tls', 'ws', 'wss', 'wss'] as const) counters.countDelivered(transport);
  t.like(counters, { deliveredUdp: 2, deliveredTcp: 1, deliveredTls: 1, deliveredWs: 1, deliveredWss: 2 });
  t.true(Object.values(counters.snapshot()).every((value) => typeof value === 'number'));
});
