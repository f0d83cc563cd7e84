import test from 'ava';
import { healthReply, leaderReply, matchRoute, resourceReply } from '../../../src/http/routes.js';
import { FakeView } from './fake-view.js';

test('known paths map to their routes for GET and HEAD, whatever the query string', (t) => {
  t.deepEqual(matchRoute('GET', '/health'), { name: 'health' });
  t.deepEqual(matchRoute('HEAD', '/leader?check=haproxy'), { name: 'leader' });
  t.deepEqual(matchRoute('GET', '/metrics'), { name: 'metrics' });
  t.deepEqual(matchRoute('GET', '/health/sip-proxy'), { name: 'sip-proxy' }, 'the proxy before any resource');
  t.deepEqual(matchRoute('GET', '/health/dns'), { name: 'resource', id: 'dns' });
  t.deepEqual(matchRoute('GET', '/health/my%20vip'), { name: 'resource', id: 'my vip' });
  t.deepEqual(matchRoute('GET', 'http://10.0.0.1:8008/leader'), { name: 'leader' }, 'absolute-form target');
});

test('unknown paths are 404 whatever the method, and list the routes', (t) => {
  for (const target of ['/', '/healthz', '/health/', '/health/a/b', '/leader/x', '//leader', '/metrics/']) {
    const reply = matchRoute('GET', target);
    t.like(reply, { status: 404, body: { status: 'not found' } }, target);
  }
  t.like(matchRoute('DELETE', '/nope'), { status: 404 });
});

test('other methods on a known path are 405 with Allow', (t) => {
  t.like(matchRoute('POST', '/leader'), { status: 405, headers: { allow: 'GET, HEAD' } });
  t.like(matchRoute(undefined, '/health'), { status: 405 });
});

test('a malformed target is 400', (t) => {
  for (const target of ['/health/%E0%A4%A', '/health/%zz', 'health', '*', '', 'http://[bad/leader']) {
    t.like(matchRoute('GET', target), { status: 400, body: { reason: 'malformed URL' } }, target);
  }
  t.like(matchRoute('GET', undefined), { status: 400 });
});

test('/health: 200 with the term when a majority is seen, 503 "no quorum" otherwise', (t) => {
  const view = new FakeView();
  t.deepEqual(healthReply(view), {
    status: 200,
    body: { node: 'stg1', status: 'ok', quorum: true, leader: true, term: 7 },
  });
  view.majority = false;
  t.deepEqual(healthReply(view), { status: 503, body: { node: 'stg1', status: 'no quorum', quorum: false } });
});

test('/leader: 200 only while leading the current term', (t) => {
  const view = new FakeView();
  t.deepEqual(leaderReply(view), { status: 200, body: { node: 'stg1', leader: true, term: 7, leaseLeftMs: 3250 } });
  view.standby().term = 8;
  t.deepEqual(leaderReply(view), {
    status: 503,
    body: { node: 'stg1', leader: false, status: 'not the leader', termSeen: 8 },
  });
});

test('/health/<resource>: 200 started, 503 stopped/failed/unknown with the last failure, 404 unknown id', (t) => {
  const view = new FakeView();
  t.like(resourceReply(view, 'vip'), { status: 200, body: { resource: 'vip', state: 'started', wanted: true } });
  t.like(resourceReply(view, 'dummy'), { status: 503, body: { state: 'stopped', wanted: false } });
  t.like(resourceReply(view, 'dns'), { status: 503, body: { state: 'unknown' } });
  t.deepEqual(resourceReply(view, 'sip-proxy'), {
    status: 503,
    body: {
      node: 'stg1',
      resource: 'sip-proxy',
      state: 'failed',
      wanted: true,
      failcount: 3,
      lastFailure: { operation: 'monitor', rcName: 'not running', reason: 'pid 4242 gone' },
    },
  });
  t.deepEqual(resourceReply(view, 'x'.repeat(500)), {
    status: 404,
    body: { node: 'stg1', status: 'unknown resource', resource: 'x'.repeat(100) },
  });
});
