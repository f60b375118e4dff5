// Set-up for the metadata and admin handler tests: an embedded broker on port 0 with a temp data
// dir and wire clients that are closed when it stops.
import { type EmbeddedBroker, startBroker } from '../../../src/broker/index.js';
import { ERROR_TABLE } from '../../../src/protocol/error-table.js';
import { WireClient } from '../../helpers/wire-client.js';

export interface AdminTestBroker {
  embedded: EmbeddedBroker;
  port: number;
  client(): Promise<WireClient>;
  stop(): Promise<void>;
}

export async function startAdminBroker(
  config: Record<string, string> = {},
): Promise<AdminTestBroker> {
  const embedded = await startBroker({ port: 0, logLevel: 'error', config });
  const clients: WireClient[] = [];
  return {
    embedded,
    port: embedded.port,
    async client() {
      const c = await WireClient.connect(embedded.port);
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.close();
      await embedded.stop();
    },
  };
}

const NAMES = new Map(ERROR_TABLE.map((e) => [e.code, e.name]));

/** 'NONE' or the error's name, so assertion failures read well. */
export function errorName(code: number): string {
  return code === 0 ? 'NONE' : (NAMES.get(code) ?? `code ${code}`);
}
