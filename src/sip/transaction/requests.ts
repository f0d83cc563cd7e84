import { HeaderList, SipRequest, type SipResponse } from '../message/index.js';

/*
 * The requests a client transaction makes by itself from the request it sent: the ACK of a non-2xx final response
 * (RFC 3261 17.1.1.3) and the CANCEL of an INVITE (9.1). Both copy the Request-URI, Call-ID, From, the CSeq number,
 * the top Via (ours, same branch) and the Route headers of the request, so that they follow the INVITE hop by hop.
 */

/** The ACK for a 300-699 response: To from the response (it carries the tag the UAS chose). */
export function ackFor(invite: SipRequest, response: SipResponse): SipRequest {
  return sibling(invite, 'ACK', response.headers.get('to') ?? invite.headers.get('to') ?? '');
}

/** The CANCEL of an INVITE: To as in the INVITE. */
export function cancelFor(invite: SipRequest): SipRequest {
  return sibling(invite, 'CANCEL', invite.headers.get('to') ?? '');
}

function sibling(invite: SipRequest, method: 'ACK' | 'CANCEL', to: string): SipRequest {
  const headers = new HeaderList();
  headers.append('Via', invite.topVia().toString());
  for (const route of invite.headers.lines('route')) headers.append('Route', route);
  headers.append('Max-Forwards', '70');
  headers.append('From', invite.headers.get('from') ?? '');
  headers.append('To', to);
  headers.append('Call-ID', invite.headers.get('call-id') ?? '');
  headers.append('CSeq', `${invite.cseq().seq} ${method}`);
  const request = new SipRequest(method, invite.uriText, headers);
  request.headers.remember('via', 'top', invite.topVia());
  return request;
}
