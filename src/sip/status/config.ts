import { isIP } from 'node:net';
import { z } from 'zod';
import { strictObject, wholeInRange } from '../../config/zod-rules.js';

/** Where the local agent finds the proxy's status by default (the agent's `sipProxy.statusUrl` example). */
export const DEFAULT_STATUS_ADDRESS = '127.0.0.1';
export const DEFAULT_STATUS_PORT = 5081;

/**
 * The address of the status endpoint: an IP literal (nothing to resolve), loopback or one of the node's own
 * addresses. Never 0.0.0.0 or ::: the proxy's node faces the internet, and its counters are for the agent only.
 */
const statusAddress = z.string().superRefine((value, ctx) => {
  if (isIP(value) === 0) ctx.addIssue({ code: 'custom', input: value, message: 'an IPv4 or IPv6 address' });
  else if (value === '0.0.0.0' || value === '::') {
    ctx.addIssue({
      code: 'custom',
      input: value,
      message:
        'a loopback or node address, not 0.0.0.0 or :: (the status endpoint is for the local agent, not the internet)',
    });
  }
});

/** `status:` in the proxy file: the HTTP endpoint with /metrics, /status and /health for the local agent. */
export const statusSchema = strictObject({
  address: statusAddress.default(DEFAULT_STATUS_ADDRESS),
  port: wholeInRange(0, 65535, 'a port, 0 for any free port').default(DEFAULT_STATUS_PORT),
});

export interface StatusConfig {
  readonly address: string;
  readonly port: number;
}
