// From spec files to generated file texts: pairs requests with responses and record keys with
// values, names the modules, checks that no two exported names collide, and emits every file.
import { emitCodecSupport, emitMessagesIndex, emitRecordsIndex } from './emit-index.js';
import { emitModule, type Module, moduleMessages, type RecordModule } from './emit-module.js';
import { buildMessage, type MessageModel } from './model.js';
import { apiName, kebabCase } from './names.js';
import { loadFolder } from './spec.js';

/** Builds the modules of every spec folder; throws on a spec the generator does not understand. */
export function buildModules(specsDir: string): Module[] {
  const modules: Module[] = [];
  const requests = new Map<string, MessageModel>();
  const responses = new Map<string, MessageModel>();
  for (const file of loadFolder(specsDir, 'messages')) {
    const m = buildMessage(file);
    if (m.type === 'request') requests.set(apiName(m.name), m);
    else if (m.type === 'response') responses.set(apiName(m.name), m);
    else modules.push({ kind: 'plain', file: `${kebabCase(m.name)}.ts`, message: m });
  }
  for (const [api, request] of requests) {
    const response = responses.get(api);
    if (response === undefined) throw new Error(`${request.specPath}: no matching response spec`);
    if (request.apiKey === null || request.apiKey !== response.apiKey) {
      throw new Error(`${request.specPath}: missing or mismatched apiKey`);
    }
    modules.push({ kind: 'api', file: `${kebabCase(api)}.ts`, api, request, response });
  }
  for (const folder of ['group-coordinator', 'transaction-coordinator'] as const) {
    const keys = new Map<string, MessageModel>();
    const values = new Map<string, MessageModel>();
    for (const file of loadFolder(specsDir, folder)) {
      const m = buildMessage(file);
      if (m.name.endsWith('Key')) keys.set(m.name.slice(0, -3), m);
      else if (m.name.endsWith('Value')) values.set(m.name.slice(0, -5), m);
      else throw new Error(`${file.path}: neither a record key nor a record value`);
    }
    for (const [record, key] of keys) {
      const value = values.get(record);
      if (value === undefined) throw new Error(`${key.specPath}: no matching value spec`);
      modules.push({
        kind: 'record',
        file: `${folder}/${kebabCase(record)}.ts`,
        record,
        key,
        value,
      });
    }
  }
  modules.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  checkNames(modules);
  return modules;
}

/** Everything a module exports lands in one index namespace: names must be unique per folder. */
function checkNames(modules: Module[]): void {
  const seen = new Map<string, string>();
  for (const mod of modules) {
    const folder = mod.file.includes('/') ? mod.file.split('/')[0] : '';
    const names: string[] = [];
    for (const m of moduleMessages(mod)) {
      for (const s of [m.root, ...m.structs]) names.push(s.tsName);
      names.push(`encode${m.name}`, `decode${m.name}`);
    }
    if (mod.kind === 'api') names.push(`${mod.api}Api`);
    if (mod.kind === 'record') names.push(`${mod.record}Record`);
    for (const n of names) {
      const key = `${folder}:${n}`;
      const other = seen.get(key);
      if (other !== undefined && other !== mod.file) {
        throw new Error(`generated name ${n} is used by both ${other} and ${mod.file}`);
      }
      if (other === mod.file) throw new Error(`generated name ${n} is used twice in ${mod.file}`);
      seen.set(key, mod.file);
    }
  }
}

/** Paths relative to the output folder -> file text (not yet formatted). */
export function generateFiles(specsDir: string): Map<string, string> {
  const modules = buildModules(specsDir);
  const files = new Map<string, string>();
  files.set('codec.ts', emitCodecSupport());
  for (const mod of modules) files.set(mod.file, emitModule(mod, mod.file.includes('/') ? 1 : 0));
  files.set('index.ts', emitMessagesIndex(modules));
  for (const folder of ['group-coordinator', 'transaction-coordinator']) {
    const records = modules.filter(
      (m): m is RecordModule => m.kind === 'record' && m.file.startsWith(`${folder}/`),
    );
    files.set(`${folder}/index.ts`, emitRecordsIndex(folder, records));
  }
  return files;
}
