// The router is built from the handler files: every module in handlers/ default-exports one
// Handler. Discovering them from the folder keeps "one file per API" literal: adding an API is
// adding a file, and ApiVersions (handlers/api-versions.ts) advertises exactly this set.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Handler } from './handler.js';

export class Router {
  private readonly byKey = new Map<number, Handler>();

  constructor(handlers: Iterable<Handler>) {
    for (const h of handlers) {
      if (this.byKey.has(h.api.apiKey)) {
        throw new Error(`two handlers for API key ${h.api.apiKey} (${h.api.name})`);
      }
      if (h.minVersion < h.api.minVersion || h.maxVersion > h.api.maxVersion) {
        throw new Error(
          `handler for ${h.api.name} serves v${h.minVersion}-${h.maxVersion}, beyond the spec's v${h.api.minVersion}-${h.api.maxVersion}`,
        );
      }
      this.byKey.set(h.api.apiKey, h);
    }
  }

  handler(apiKey: number): Handler | undefined {
    return this.byKey.get(apiKey);
  }

  /** Served APIs in key order, for ApiVersions. */
  handlers(): Handler[] {
    return [...this.byKey.values()].sort((a, b) => a.api.apiKey - b.api.apiKey);
  }
}

const handlersDir = join(dirname(fileURLToPath(import.meta.url)), 'handlers');

/** Imports every handler module in handlers/ (compiled .js or, under tsx, .ts). */
export async function loadHandlers(dir = handlersDir): Promise<Handler[]> {
  const files = readdirSync(dir)
    .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts') && !f.startsWith('index.'))
    .sort();
  const handlers: Handler[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { default?: Handler };
    if (!mod.default?.api) throw new Error(`handlers/${f} does not default-export a handler`);
    handlers.push(mod.default);
  }
  return handlers;
}
