import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Test certificates made with the openssl command line (Node can read X.509 but not issue it): one CA that signs
 * the emulators' server certificates (for 127.0.0.1 and localhost) and the client certificates of APNs
 * certificate auth. Each test run makes its own in a temporary folder; nothing here is a real credential.
 */
export interface TestPki {
  dir: string;
  caFile: string;
  ca: string;
  server: { cert: string; key: string };
  /** A client certificate as Apple issues them for an app: subject UID = the bundle id. */
  issueClient(bundle: string, name?: string): { cert: string; key: string; certFile: string; keyFile: string };
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function createTestPki(dir: string, caName = 'stg test CA'): TestPki {
  mkdirSync(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      `/CN=${caName}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  const sign = (name: string, subject: string, extensions: string) => {
    openssl(['req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.pem`,
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
      ],
      dir,
    );
    return {
      cert: readFileSync(join(dir, `${name}.pem`), 'utf8'),
      key: readFileSync(join(dir, `${name}.key`), 'utf8'),
    };
  };
  const server = sign(
    'server',
    '/CN=localhost',
    'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  let clients = 0;
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    server,
    issueClient(bundle: string, name = `client-${(clients += 1)}`) {
      const issued = sign(name, `/UID=${bundle}/CN=VoIP Services: ${bundle}`, 'extendedKeyUsage=clientAuth\n');
      return { ...issued, certFile: join(dir, `${name}.pem`), keyFile: join(dir, `${name}.key`) };
    },
  };
}
