import type { EmulatorAnswer } from './h2-server.js';

/**
 * The checks FCM HTTP v1 makes of a send request body (firebase.google.com/docs/reference/fcm/rest/v1/
 * projects.messages): a JSON object `{message, validate_only?}`; a message with exactly one of token, topic,
 * condition and only known fields; data maps of strings without reserved keys; android.priority NORMAL|HIGH;
 * android.ttl a duration in seconds up to four weeks; at most 4096 bytes of data. A failure answers 400
 * INVALID_ARGUMENT with a google.rpc.BadRequest naming the field, as FCM does.
 */
export type CheckedSend =
  { ok: true; token: string; message: Record<string, unknown> } | { ok: false; answer: EmulatorAnswer };

const MESSAGE_FIELDS = [
  'name',
  'data',
  'notification',
  'android',
  'webpush',
  'apns',
  'fcm_options',
  'token',
  'topic',
  'condition',
];
const ANDROID_FIELDS = [
  'collapse_key',
  'priority',
  'ttl',
  'restricted_package_name',
  'data',
  'notification',
  'fcm_options',
  'direct_boot_ok',
];
const MAX_DATA_BYTES = 4096;
const MAX_TTL_S = 2_419_200;

function invalid(field: string, description: string): CheckedSend {
  return {
    ok: false,
    answer: {
      status: 400,
      body: {
        error: {
          code: 400,
          message: description,
          status: 'INVALID_ARGUMENT',
          details: [
            { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field, description }] },
          ],
        },
      },
    },
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function checkData(data: unknown, field: string): string | undefined {
  if (data === undefined) return undefined;
  if (!isObject(data)) return `${field}: Invalid value (map<string, string> expected)`;
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== 'string')
      return `Invalid value at '${field}[${key}].value' (TYPE_STRING), ${JSON.stringify(value)}`;
    if (key === 'from' || key === 'gcm' || key.startsWith('google')) return `Invalid data key: ${key} is reserved`;
  }
  return undefined;
}

function dataBytes(data: unknown): number {
  if (!isObject(data)) return 0;
  return Object.entries(data).reduce(
    (sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(String(value)),
    0,
  );
}

export function checkFcmSend(body: Buffer): CheckedSend {
  let request: unknown;
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch {
    return invalid('', 'Invalid JSON payload received.');
  }
  if (!isObject(request)) return invalid('', 'Invalid JSON payload received. Expected an object.');
  for (const key of Object.keys(request)) {
    if (key !== 'message' && key !== 'validate_only')
      return invalid(key, `Invalid JSON payload received. Unknown name "${key}": Cannot find field.`);
  }
  const message = request['message'];
  if (!isObject(message)) return invalid('message', 'The message is missing.');
  for (const key of Object.keys(message)) {
    if (!MESSAGE_FIELDS.includes(key))
      return invalid(
        `message.${key}`,
        `Invalid JSON payload received. Unknown name "${key}" at 'message': Cannot find field.`,
      );
  }
  const targets = ['token', 'topic', 'condition'].filter((key) => message[key] !== undefined);
  if (targets.length !== 1) return invalid('message', 'Exactly one of token, topic or condition must be specified.');
  if (typeof message['token'] !== 'string' || message['token'] === '')
    return invalid('message.token', 'Only token targets are emulated.');
  const dataProblem = checkData(message['data'], 'message.data');
  if (dataProblem) return invalid('message.data', dataProblem);

  const android = message['android'];
  if (android !== undefined) {
    if (!isObject(android)) return invalid('message.android', 'Invalid value at message.android.');
    for (const key of Object.keys(android)) {
      if (!ANDROID_FIELDS.includes(key))
        return invalid(
          `message.android.${key}`,
          `Invalid JSON payload received. Unknown name "${key}" at 'message.android': Cannot find field.`,
        );
    }
    const priority = android['priority'];
    if (
      priority !== undefined &&
      (typeof priority !== 'string' || !['NORMAL', 'HIGH'].includes(priority.toUpperCase()))
    ) {
      return invalid(
        'message.android.priority',
        `Invalid value at 'message.android.priority' (type.googleapis.com/google.firebase.fcm.v1.AndroidMessagePriority), "${String(priority)}"`,
      );
    }
    const ttl = android['ttl'];
    if (ttl !== undefined) {
      const match = typeof ttl === 'string' ? /^(\d+)(\.\d{1,9})?s$/.exec(ttl) : null;
      if (!match || Number(match[1]) > MAX_TTL_S)
        return invalid(
          'message.android.ttl',
          `Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration), "${String(ttl)}"`,
        );
    }
    const androidData = checkData(android['data'], 'message.android.data');
    if (androidData) return invalid('message.android.data', androidData);
  }
  const bytes = dataBytes(message['data']) + (isObject(android) ? dataBytes(android['data']) : 0);
  if (bytes > MAX_DATA_BYTES) return invalid('message.android.data', 'Android message is too big');
  return { ok: true, token: message['token'], message };
}
