import test from 'ava';
import {
  SipRequest,
  SipResponse,
  contactQ,
  parseDatagram,
  type SipMessage,
  type SipUri,
} from '../../../src/sip/message/index.js';
import { message, sdp, usual } from './torture.js';

/*
 * The situations of RFC 4475 (SIP torture tests) and RFC 5118 (IPv6), each in a message of our own: what the RFC
 * says a parser must accept is read, and what it must reject is refused with the error the transport answers
 * (`request` set) or drops (no `request`: a response, or Via/From/To/Call-ID/CSeq unreadable).
 */

test('3.1.1.1 a short tortuous INVITE: folding, LWS around colons and slashes, escaped quotes, compact forms', (t) => {
  const bytes = message(
    [
      'INVITE sip:agent@desk.example.com;unknownparam SIP/2.0',
      'TO :',
      ' sip:agent@desk.example.com ;   tag    = 8321234356',
      'from   : "Q. Caller \\\\\\""       <sip:q@example.net>',
      '  ;',
      '  tag = 5xhp2',
      'MaX-fOrWaRdS: 0068',
      'Call-ID: tort.8sdnqk2@192.0.2.7',
      'Content-Length   : 152',
      'cseq: 0009',
      '  INVITE',
      'Via  : SIP  /   2.0',
      ' /UDP',
      '    192.0.2.2;branch=390skdjuw',
      's :',
      'NewFangledHeader:   newfangled value',
      ' continued newfangled value',
      'UnknownHeaderWithUnusualValue: ;;,,;;,;',
      'Content-Type: application/sdp',
      'Route:',
      ' <sip:services.example.com;lr;unknownwith=value;unknown-no-value>',
      'v:  SIP  / 2.0  / TCP     spindle.example.com   ;',
      '  branch  =   z9hG4bK9ikj8  ,',
      ' SIP  /    2.0   / UDP  192.168.255.111   ; branch=',
      ' z9hG4bK30239',
      'm:"Quoted string \\"\\"" <sip:q@example.net> ; newparam =',
      '      newvalue ;',
      '  secondparam ; q = 0.33',
    ],
    sdp.padEnd(152, 'a'),
  );
  const request = parseDatagram(bytes) as SipRequest;
  t.is(request.uri().toString(), 'sip:agent@desk.example.com;unknownparam');
  t.is(request.to().tag, '8321234356');
  t.is(request.from().display, 'Q. Caller \\"');
  t.is(request.from().tag, '5xhp2');
  t.is(request.maxForwards(), 68);
  t.deepEqual(request.cseq(), { seq: 9, method: 'INVITE' });
  t.deepEqual(
    request.vias().map((via) => [via.transport, via.hostname, via.branch]),
    [
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ],
  );
  t.is(request.headers.get('s'), '');
  t.is(request.headers.get('NewFangledHeader'), 'newfangled value continued newfangled value');
  t.is(request.headers.get('UnknownHeaderWithUnusualValue'), ';;,,;;,;');
  t.is(request.routes().length, 1);
  const [contact] = request.contacts().contacts;
  t.is(contact?.display, 'Quoted string ""');
  t.is(contact?.param('newparam'), 'newvalue');
  t.is(contact?.param('secondparam'), null);
  t.is(contactQ(contact!), 0.33);
  t.is(request.body.length, 152);
});

test('3.1.1.2 a wide range of valid characters in the method, URI, tags and header names', (t) => {
  const method = "!interesting-Method0123456789_*+`.%indeed'~";
  const uri =
    "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com";
  const bytes = message([
    `${method} ${uri} SIP/2.0`,
    "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~",
    `To: "BEL:\\\u0007 NUL:\\\u0000 DEL:\\\u007f" <${uri.replace(/:&it.*\)@/, '@')}>`,
    "From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"работающий\";tag=_token~1'+`*%!-.",
    'Call-ID: intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{',
    `CSeq: 139122385 ${method}`,
    'Max-Forwards: 255',
    "extensionHeader-!.%*+_`'~:\ufeff大停電",
    'Content-Length: 0',
  ]);
  const request = parseDatagram(bytes) as SipRequest;
  t.is(request.method, method);
  t.is((request.uri() as SipUri).password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  t.is(request.to().display, 'BEL:\u0007 NUL:\u0000 DEL:\u007f');
  t.is(request.from().displayName, "token1~` token2'+_ token3*%!.-");
  t.is(request.from().param("fromParam''~+*_!.-%"), '"работающий"');
  t.is(request.callId(), 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
  t.is(request.headers.get("extensionHeader-!.%*+_`'~"), '\ufeff大停電');
  // Written back as read, UTF-8 included; only the space after the colon is ours.
  t.true(request.toBuffer().equals(Buffer.from(bytes.toString('utf8').replace('~:\ufeff', '~: \ufeff'), 'utf8')));
});

test('3.1.1.3-5 escapes: decoded in URIs, %00 included; a % that is not an escape elsewhere is text', (t) => {
  const esc = parseDatagram(
    message([
      'INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0',
      ...usual('INVITE', 'esc01').slice(0, 2),
      'To: sip:%75se%72@example.com',
      'From: <sip:I%20have%20spaces@example.net>;tag=938',
      ...usual('INVITE', 'esc01').slice(4),
      'Contact: <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>',
      'Content-Length: 0',
    ]),
  ) as SipRequest;
  t.is((esc.uri() as SipUri).userDecoded, 'sips:user@example.com');
  t.is((esc.to().uri as SipUri).userDecoded, 'user');
  t.is((esc.from().uri as SipUri).userDecoded, 'I have spaces');
  const contactUri = esc.contacts().contacts[0]!.uri as SipUri;
  t.is(contactUri.param('lr'), null);
  t.is(contactUri.param('name'), 'value%41');

  const nul = parseDatagram(
    message([
      'REGISTER sip:example.com SIP/2.0',
      'To: sip:null-%00-null@example.com',
      ...usual('REGISTER', 'escnull').filter((h) => !h.startsWith('To')),
      'Content-Length: 0',
    ]),
  );
  t.is((nul.to().uri as SipUri).userDecoded, 'null-\u0000-null');

  const notEscapes = parseDatagram(
    message([
      'RE%47IST%45R sip:registrar.example.com SIP/2.0',
      'Via: SIP/2.0/UDP host.example.com;rport;branch=z9hG4bKkdjuw',
      'To: "%Z%45" <sip:resource@example.com>',
      'From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj23',
      'Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf',
      'CSeq: 29344 RE%47IST%45R',
      'Max-Forwards: 70',
      'Content-Length: 0',
    ]),
  ) as SipRequest;
  t.is(notEscapes.method, 'RE%47IST%45R', 'a method is a token: no escapes, and not REGISTER');
  t.is(notEscapes.to().display, '%Z%45');
});

test('3.1.1.7 long values and 34 Vias in every spelling', (t) => {
  const spellings = [
    'Via',
    'v',
    'V',
    'ViA',
    'VIa',
    'VIA',
    'via',
    'viA',
    'vIa',
    'vIA',
    'V ',
    'v ',
    'V  ',
    'v  ',
    'Via ',
    'Via  ',
  ];
  const vias = Array.from(
    { length: 34 },
    (_, i) => `${spellings[i % spellings.length]}: SIP/2.0/TCP sip${34 - i}.example.com;branch=z9hG4bK${i}`,
  );
  const longTag = `12${'982'.repeat(50)}424`;
  const bytes = message([
    'INVITE sip:user@example.com SIP/2.0',
    `To: "I have a user name of ${'extreme'.repeat(10)} proportion"<sip:user@example.com:6000;unknownparam1=very${'long'.repeat(20)}value;longparam${'name'.repeat(25)}=shortvalue;very${'long'.repeat(25)}ParameterNameWithNoValue>`,
    `F: sip:${'amazinglylongcallername'.repeat(5)}@example.net;tag=${longTag};unknownheaderparam${'name'.repeat(20)}=unknowheaderparam${'value'.repeat(15)};unknownValueless${'paramname'.repeat(10)}`,
    `Call-ID: longreq.one${'really'.repeat(20)}longcallid`,
    'CSeq: 3882340 INVITE',
    `Unknown-${'Long'.repeat(20)}-Name:unknown-${'long'.repeat(20)}-value;unknown-${'long'.repeat(20)}-parameter-name =unknown-${'long'.repeat(20)}-parameter-value`,
    ...vias,
    'Max-Forwards: 70',
    `Contact: <sip:${'amazinglylongcallername'.repeat(5)}@host5.example.net>`,
    'Content-Type: application/sdp',
    'l: 0',
  ]);
  const request = parseDatagram(bytes);
  t.is(request.vias().length, 34);
  t.is(request.vias()[33]!.host, 'sip1.example.com');
  t.is(request.from().tag, longTag);
  t.is(request.to().display?.length, 'I have a user name of '.length + 70 + ' proportion'.length);
});

test('3.1.1.9-11 semicolons in the URI user part, unusual transports, a multipart body', (t) => {
  const semi = parseDatagram(
    message([
      'OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0',
      ...usual('OPTIONS', 'semiuri'),
      'Accept: application/sdp, application/pkcs7-mime,',
      '        multipart/mixed, multipart/signed,',
      '        message/sip, message/sipfrag',
      'l: 0',
    ]),
  ) as SipRequest;
  t.is((semi.uri() as SipUri).user, 'user;par=u%40example.net');
  t.is(semi.headers.getAll('accept').length, 6);

  const transports = parseDatagram(
    message([
      'OPTIONS sip:user@example.com SIP/2.0',
      'Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw',
      'Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf',
      'Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj',
      'Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en',
      'Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee',
      ...usual('OPTIONS', 'transports').slice(1),
      'l: 0',
    ]),
  );
  t.deepEqual(
    transports.vias().map((via) => via.transport),
    ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP'],
  );

  const parts = '--boundary42\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\r\n--boundary42--\r\n';
  const multipart = parseDatagram(
    message(
      [
        ...['MESSAGE sip:user@example.com SIP/2.0'],
        ...usual('MESSAGE', 'mpart01'),
        'Content-Type: multipart/mixed;boundary=boundary42',
        `Content-Length: ${Buffer.byteLength(parts)}`,
      ],
      parts,
    ),
  );
  t.is(multipart.body.toString(), parts);
});

test('3.1.1.12 a reason phrase in UTF-8 and arithmetic', (t) => {
  const reason = '= 2**3 * 5**2 но сто девяносто девять - простое';
  const response = parseDatagram(
    message([
      `SIP/2.0 200 ${reason}`,
      'Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923',
      'Call-ID: unreason.1234ksdfak3j2erwedfsASdf',
      'CSeq: 35 INVITE',
      'From: sip:user@example.com;tag=11141343',
      'To: sip:user@example.edu;tag=2229',
      'Content-Length: 0',
    ]),
  ) as SipResponse;
  t.is(response.reason, reason);
});

test('valid although unusual: an unknown scheme, novel URIs, Max-Forwards 0, RFC 2543 syntax, a bad Date', (t) => {
  const accepted: SipMessage[] = [
    parseDatagram(
      message(['OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0', ...usual('OPTIONS', 'unkscm'), 'l: 0']),
    ),
    parseDatagram(
      message([
        'OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0',
        'To: isbn:2983792873',
        'From: <http://www.example.com>;tag=I23',
        ...usual('OPTIONS', 'novelsc').filter((h) => !/^(To|From)/.test(h)),
        'l: 0',
      ]),
    ),
    parseDatagram(
      message([
        'OPTIONS sip:user@example.com SIP/2.0',
        ...usual('OPTIONS', 'zeromf').filter((h) => !h.startsWith('Max')),
        'Max-Forwards: 0',
        'l: 0',
      ]),
    ),
    parseDatagram(
      message([
        'INVITE sip:UserB@example.com SIP/2.0',
        'Via: SIP/2.0/UDP 192.0.2.15',
        'From: <sip:UserA@example.com>',
        'To: <sip:UserB@example.com>',
        'Call-ID: 010@192.0.2.15',
        'CSeq: 1 INVITE',
        'l: 0',
      ]),
    ),
    parseDatagram(
      message([
        'INVITE sip:user@example.com SIP/2.0',
        ...usual('INVITE', 'baddate'),
        'Date: Fri, 01 Jan 2010 16:00:00 EST',
        'l: 0',
      ]),
    ),
  ];
  t.is(accepted[0]!.headers.get('call-id'), 'unkscm@192.0.2.7');
  t.is(accepted[1]!.to().uri.kind, 'other');
  t.is(accepted[2]!.maxForwards(), 0);
  t.is(accepted[3]!.topVia().branch, undefined);
});
