import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { TsigKeyFileError, parseTsigKey, readTsigKeyFile } from '../../../src/dns/external/tsig-key-file.js';

const SECRET = 'ab//cd+eFgh/ij0123456789KLMNOPQRSTUVWXyz+/w=';
const KEYGEN_OUTPUT = `key "stg-ddns" {\n\talgorithm hmac-sha256;\n\tsecret "${SECRET}";\n};\n`;

test('reads the name and algorithm of a key file as tsig-keygen writes it, never returning the secret', (t) => {
  const key = parseTsigKey(KEYGEN_OUTPUT, 'ddns.key');
  t.deepEqual(key, { name: 'stg-ddns', algorithm: 'hmac-sha256' });
  t.false(JSON.stringify(key).includes(SECRET));
});

test('comments of the three BIND styles are ignored, but not "//" inside the quoted secret', (t) => {
  const text = `# generated\n/* multi\n line */ key stg-ddns { // the name\n algorithm HMAC-SHA512; secret "${SECRET}"; };`;
  t.deepEqual(parseTsigKey(text, 'k'), { name: 'stg-ddns', algorithm: 'hmac-sha512' });
});

test('each unusable file gets its own reason, naming the file and never the secret', (t) => {
  const cases: [string, RegExp][] = [
    ['', /^TSIG key file k: no key statement/],
    ['garbage\n', /no key statement/],
    [`${KEYGEN_OUTPUT}${KEYGEN_OUTPUT}`, /2 key statements/],
    [`key "x" { secret "${SECRET}"; };`, /key "x" has no algorithm/],
    [`key "x" { algorithm hmac-sha999; secret "${SECRET}"; };`, /algorithm hmac-sha999 is not one of hmac-md5/],
    ['key "x" { algorithm hmac-sha256; };', /key "x" has no secret/],
    ['key "x" { algorithm hmac-sha256; secret "not base64!"; };', /key "x": the secret is not base64/],
  ];
  for (const [text, message] of cases) {
    const error = t.throws(() => parseTsigKey(text, 'k'), { instanceOf: TsigKeyFileError });
    t.regex(error.message, message, text);
    t.false(error.message.includes(SECRET));
  }
});

test('a file that cannot be read is named with the errno code', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stg-tsig-'));
  try {
    await t.throwsAsync(readTsigKeyFile(join(dir, 'missing.key')), {
      instanceOf: TsigKeyFileError,
      message: `TSIG key file ${join(dir, 'missing.key')}: cannot be read (ENOENT)`,
    });
    writeFileSync(join(dir, 'ok.key'), KEYGEN_OUTPUT);
    t.is((await readTsigKeyFile(join(dir, 'ok.key'))).name, 'stg-ddns');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
