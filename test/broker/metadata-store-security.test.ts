// The etcd TLS and user settings: what each combination becomes for the etcd store, the
// combinations refused at start-up (with the setting named), and a password that DescribeConfigs
// never shows.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadBrokerConfig } from '../../src/broker/config.js';
import { describeBrokerConfigs } from '../../src/broker/config-describer.js';
import { metadataStoreSecurity } from '../../src/broker/metadata-store-security.js';
import { securityOptions } from '../../src/cluster/etcd-client.js';

const files: Record<string, string> = {
  '/etc/samsa/ca.pem': 'CA',
  '/etc/samsa/broker.pem': 'CERT',
  '/etc/samsa/broker.key': 'KEY',
};
const readFile = (path: string) => {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: no such file '${path}'`);
  return Buffer.from(text);
};
const security = (overrides: Record<string, string>) =>
  metadataStoreSecurity(loadBrokerConfig({ overrides }), readFile);
const refused = (overrides: Record<string, string>, message: RegExp) =>
  assert.throws(
    () => security(overrides),
    (err: unknown) => err instanceof ConfigError && message.test(err.message),
  );

describe('metadata.store security settings', () => {
  it('nothing set: plaintext, no user', () => {
    assert.deepEqual(security({}), {});
    assert.deepEqual(securityOptions({}), {});
  });

  it('TLS with a CA and a client certificate, and an etcd user', () => {
    const s = security({
      'metadata.store.tls.enable': 'true',
      'metadata.store.tls.ca.file': '/etc/samsa/ca.pem',
      'metadata.store.tls.cert.file': '/etc/samsa/broker.pem',
      'metadata.store.tls.key.file': '/etc/samsa/broker.key',
      'metadata.store.username': 'samsa',
      'metadata.store.password': 's3cret',
    });
    assert.deepEqual(
      {
        ca: s.tls?.ca?.toString(),
        cert: s.tls?.cert?.toString(),
        key: s.tls?.key?.toString(),
        auth: s.auth,
      },
      { ca: 'CA', cert: 'CERT', key: 'KEY', auth: { username: 'samsa', password: 's3cret' } },
    );
    const client = securityOptions(s);
    assert.equal(client.credentials?.rootCertificate.toString(), 'CA');
    assert.equal(client.credentials?.certChain?.toString(), 'CERT');
    assert.equal(client.credentials?.privateKey?.toString(), 'KEY');
    assert.deepEqual(client.auth, { username: 'samsa', password: 's3cret' });
  });

  it("TLS without files verifies etcd with the system's CAs", () => {
    const s = security({ 'metadata.store.tls.enable': 'true' });
    assert.deepEqual(s, { tls: { ca: undefined, cert: undefined, key: undefined } });
    // No explicit credentials: the client builds default TLS credentials for https endpoints.
    assert.equal(securityOptions(s).credentials, undefined);
  });

  it('refuses files without metadata.store.tls.enable, naming them', () => {
    refused(
      { 'metadata.store.tls.ca.file': '/etc/samsa/ca.pem' },
      /metadata\.store\.tls\.ca\.file is set but metadata\.store\.tls\.enable is not true/,
    );
  });

  it('refuses a certificate without its key, and a key without its certificate', () => {
    const base = { 'metadata.store.tls.enable': 'true' };
    refused({ ...base, 'metadata.store.tls.cert.file': '/etc/samsa/broker.pem' }, /go together/);
    refused({ ...base, 'metadata.store.tls.key.file': '/etc/samsa/broker.key' }, /go together/);
  });

  it('refuses a file it cannot read, naming the setting and the path', () => {
    refused(
      { 'metadata.store.tls.enable': 'true', 'metadata.store.tls.ca.file': '/nowhere/ca.pem' },
      /Cannot read metadata\.store\.tls\.ca\.file=\/nowhere\/ca\.pem: ENOENT/,
    );
  });

  it('refuses a user without a password and a password without a user', () => {
    refused({ 'metadata.store.username': 'samsa' }, /username and metadata\.store\.password/);
    refused({ 'metadata.store.password': 'x' }, /username and metadata\.store\.password/);
  });

  it('DescribeConfigs names the password setting but never shows its value', () => {
    const config = loadBrokerConfig({
      overrides: { 'metadata.store.username': 'samsa', 'metadata.store.password': 's3cret' },
    });
    const entries = describeBrokerConfigs(config, 'broker');
    const password = entries.find((e) => e.name === 'metadata.store.password')!;
    assert.equal(password.value, null);
    assert.equal(password.isSensitive, true);
    assert.equal(password.type, 9, 'PASSWORD');
    assert.ok(password.synonyms.every((s) => s.value === null));
    assert.equal(entries.find((e) => e.name === 'metadata.store.username')!.value, 'samsa');
    assert.ok(!JSON.stringify(entries).includes('s3cret'));
  });
});
