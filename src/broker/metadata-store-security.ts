// The metadata.store.tls.* and metadata.store.username/password settings, read into what the etcd
// store takes. Mistakes are refused at start-up with the setting's name (a broker that quietly
// fell back to plaintext or no user would fail later, at etcd, with a less helpful message).
import { readFileSync } from 'node:fs';
import type { EtcdSecurity } from '../cluster/metadata-store.js';
import { ConfigError } from './config.js';

/** What the settings say; the files are read through `readFile` (tests pass their own). */
export function metadataStoreSecurity(
  settings: { raw(name: string): string | null; bool(name: string): boolean },
  readFile: (path: string) => Buffer = (path) => readFileSync(path),
): EtcdSecurity {
  const out: EtcdSecurity = {};
  const file = (name: string): Buffer | undefined => {
    const path = settings.raw(name)?.trim();
    if (!path) return undefined;
    try {
      return readFile(path);
    } catch (err) {
      throw new ConfigError(`Cannot read ${name}=${path}: ${(err as Error).message}`);
    }
  };
  const names = ['ca', 'cert', 'key'].map((f) => `metadata.store.tls.${f}.file`);
  const given = names.filter((n) => settings.raw(n)?.trim());
  if (settings.bool('metadata.store.tls.enable')) {
    const [ca, cert, key] = names.map(file);
    if ((cert === undefined) !== (key === undefined)) {
      throw new ConfigError(
        'metadata.store.tls.cert.file and metadata.store.tls.key.file go together: set both or neither',
      );
    }
    out.tls = { ca, cert, key };
  } else if (given.length > 0) {
    throw new ConfigError(
      `${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} set but metadata.store.tls.enable is not true`,
    );
  }
  const username = settings.raw('metadata.store.username');
  const password = settings.raw('metadata.store.password');
  if (username && password !== null) out.auth = { username, password };
  else if (username || password !== null) {
    throw new ConfigError(
      'metadata.store.username and metadata.store.password go together: set both or neither',
    );
  }
  return out;
}
