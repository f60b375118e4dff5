// A broker talking to an etcd that wants TLS with client certificates and etcd users
// (metadata.store.tls.*, metadata.store.username/password): a `samsa broker` process with the
// settings starts and keeps its topics in that etcd; without the client certificate, or with a
// wrong password, the store refuses to open. Certificates are made with openssl for the test.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { Connection } from '../../../src/client/connection.js';
import { openMetadataStore } from '../../../src/cluster/metadata-store.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { CreateTopicsApi } from '../../../src/protocol/messages/create-topics.js';
import { startBrokerProcess, stopAllBrokers } from '../../helpers/broker-process.js';
import { EtcdServer, etcdSkipReason } from './etcd-server.js';

function opensslMissing(): string | false {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'openssl not found';
  }
}

const skip = etcdSkipReason() || opensslMissing();
const PASSWORD = 'etcd-root-pw';

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function makeCertificates(dir: string) {
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=samsa-test-ca',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  );
  writeFileSync(
    f('server.ext'),
    'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [who, cn] of [
    ['server', '127.0.0.1'],
    ['client', 'samsa-broker'],
  ] as const) {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      f(`${who}.key`),
      '-out',
      f(`${who}.csr`),
    );
    openssl(
      'x509',
      '-req',
      '-in',
      f(`${who}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      f(`${who}.ext`),
      '-out',
      f(`${who}.pem`),
    );
  }
  return {
    ca: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
  };
}

describe('etcd with TLS client certificates and users', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-etcd-security-'));
  let etcd: EtcdServer;
  let certs: ReturnType<typeof makeCertificates>;

  before(async () => {
    certs = makeCertificates(dir);
    etcd = await EtcdServer.start({
      tls: { caFile: certs.ca, certFile: certs.serverCert, keyFile: certs.serverKey },
    });
    // etcd's auth needs a root user with the root role before it can be enabled.
    const admin = new Etcd3({
      hosts: etcd.endpoint,
      credentials: {
        rootCertificate: readFileSync(certs.ca),
        certChain: readFileSync(certs.clientCert),
        privateKey: readFileSync(certs.clientKey),
      },
    });
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          await admin.user('root').create(PASSWORD);
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      await admin.user('root').addRole('root');
      await admin.auth.authEnable();
    } finally {
      admin.close();
    }
  });

  after(async () => {
    await stopAllBrokers();
    await etcd?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const tlsSettings = () => ({
    'metadata.store.tls.enable': 'true',
    'metadata.store.tls.ca.file': certs.ca,
    'metadata.store.tls.cert.file': certs.clientCert,
    'metadata.store.tls.key.file': certs.clientKey,
  });

  test('a broker with the settings joins and keeps its topics there', async () => {
    const broker = await startBrokerProcess({
      dataDir: join(dir, 'broker-1'),
      timeoutMs: 60_000,
      overrides: {
        'node.id': '1',
        'metadata.store': `etcd://127.0.0.1:${etcd.clientPort}`,
        ...tlsSettings(),
        'metadata.store.username': 'root',
        'metadata.store.password': PASSWORD,
      },
    });
    const c = await Connection.connect({
      host: '127.0.0.1',
      port: broker.port,
      clientId: 'etcd-security-test',
      connectTimeoutMs: 5000,
      requestTimeoutMs: 15_000,
    });
    try {
      const res = await c.send(
        CreateTopicsApi,
        {
          topics: [
            {
              name: 'secure',
              numPartitions: 1,
              replicationFactor: 1,
              assignments: [],
              configs: [],
            },
          ],
          timeoutMs: 10_000,
          validateOnly: false,
        },
        { version: 5 },
      );
      assert.equal(res.topics[0]!.errorCode, ErrorCode.NONE, res.topics[0]!.errorMessage ?? '');
    } finally {
      c.close();
    }
    // The topic is in that etcd, under the default prefix, readable only with the credentials.
    const store = await openMetadataStore({
      setting: `etcd://127.0.0.1:${etcd.clientPort}`,
      dataDir: dir,
      connectTimeoutMs: 10_000,
      security: {
        tls: {
          ca: readFileSync(certs.ca),
          cert: readFileSync(certs.clientCert),
          key: readFileSync(certs.clientKey),
        },
        auth: { username: 'root', password: PASSWORD },
      },
    });
    try {
      assert.ok(await store.get('/topics/secure'));
    } finally {
      await store.close();
    }
    await broker.kill('SIGTERM');
  });

  test('without the client certificate, or with a wrong password, the store does not open', async () => {
    const tls = {
      ca: readFileSync(certs.ca),
      cert: readFileSync(certs.clientCert),
      key: readFileSync(certs.clientKey),
    };
    const open = (security: Parameters<typeof openMetadataStore>[0]['security']) =>
      openMetadataStore({
        setting: `etcd://127.0.0.1:${etcd.clientPort}`,
        dataDir: dir,
        connectTimeoutMs: 3000,
        requestTimeoutMs: 1000,
        security,
      });
    await assert.rejects(
      open({ tls: { ca: tls.ca }, auth: { username: 'root', password: PASSWORD } }),
    );
    await assert.rejects(open({ tls, auth: { username: 'root', password: 'wrong' } }));
    await assert.rejects(
      open({ auth: { username: 'root', password: PASSWORD } }),
      'plaintext to a TLS port',
    );
  });
});
