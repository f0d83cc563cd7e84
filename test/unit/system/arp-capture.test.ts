import test from 'ava';
import { parseClaim, RESUME_SEND_ALLOWANCE_MS, resumesOf, sentOnResume } from '../../system/arp-capture.js';

const hostOf = (mac: string) => (mac === '5e:00:00:00:00:01' ? ('stg1' as const) : undefined);
const VIP = '198.51.100.10';

test('a gratuitous ARP request and an ARP reply for the VIP are claims by their Ethernet source', (t) => {
  const request = parseClaim(
    '1764163200.123456 5e:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 198.51.100.10 tell 198.51.100.10, length 28',
    VIP,
    hostOf,
  );
  t.like(request, { wallMs: 1764163200123.456, mac: '5e:00:00:00:00:01', host: 'stg1', kind: 'arp-request' });
  const reply = parseClaim(
    '1764163200.500000 5e:00:00:00:00:02 > 5e:00:00:00:00:09, ethertype ARP (0x0806), length 42: Reply 198.51.100.10 is-at 5e:00:00:00:00:02, length 28',
    VIP,
    hostOf,
  );
  t.like(reply, { mac: '5e:00:00:00:00:02', host: undefined, kind: 'arp-reply' });
});

test('a neighbour advertisement for the IPv6 VIP is a claim', (t) => {
  const line =
    '1764163200.250000 5e:00:00:00:00:01 > 33:33:00:00:00:01, ethertype IPv6 (0x86dd), length 86: 2001:db8::11 > ff02::1: ICMP6, neighbor advertisement, tgt is 2001:db8::10, length 32';
  t.like(parseClaim(line, '2001:db8::10', hostOf), { host: 'stg1', kind: 'neighbour-advertisement' });
  t.is(parseClaim(line, '2001:db8::99', hostOf), undefined, 'about another address');
});

test("the client's own question, other addresses and other packets are no claims", (t) => {
  const ask =
    '1764163200.1 5e:00:00:00:00:09 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 198.51.100.10 tell 198.51.100.100, length 28';
  t.is(parseClaim(ask, VIP, hostOf), undefined);
  const other =
    '1764163200.1 5e:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 198.51.100.11 tell 198.51.100.11, length 28';
  t.is(parseClaim(other, VIP, hostOf), undefined);
  t.is(parseClaim('tcpdump: listening on eth0, link-type EN10MB', VIP, hostOf), undefined);
});

test('a claim just after a paused host resumes is the announcement it was stopped in, only if it held the VIP then', (t) => {
  const resumes = resumesOf([
    { host: 'stg1', kind: 'freeze', startedMs: 1000, doneMs: 1010 },
    { host: 'stg2', kind: 'link-down', startedMs: 1500, doneMs: 1505 },
    { host: 'stg1', kind: 'thaw', startedMs: 5000, doneMs: 5020 },
  ]);
  t.deepEqual(resumes, [{ host: 'stg1', frozenMs: 1000, thawedMs: 5020 }]);
  const claim = (host: 'stg1' | 'stg2', wallMs: number) => ({
    wallMs,
    mac: 'x',
    host,
    kind: 'arp-request' as const,
    line: '',
  });
  const heldByStg1At1000 = (host: string, ms: number) => host === 'stg1' && ms === 1000;
  t.true(sentOnResume(claim('stg1', 5030), resumes, heldByStg1At1000));
  t.false(
    sentOnResume(claim('stg1', 5030), resumes, () => false),
    'it did not hold the VIP when it was paused',
  );
  t.false(sentOnResume(claim('stg1', 5020 + RESUME_SEND_ALLOWANCE_MS + 1), resumes, heldByStg1At1000), 'too late');
  t.false(sentOnResume(claim('stg2', 5030), resumes, heldByStg1At1000), 'another host');
});
