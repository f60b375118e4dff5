// Loads Kafka message specs: JSON files with `//` line comments. Comments are stripped by a
// scanner that knows about strings, because `about` texts contain URLs with `//` in them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** An inclusive version range; `max` is Infinity for an open range such as "3+". */
export interface VersionRange {
  min: number;
  max: number;
}

export interface RawField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  flexibleVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean | null;
  fields?: RawField[];
  // Ignored by the generator: about, ignorable, mapKey, entityType, zeroCopy.
}

export interface RawStruct {
  name: string;
  versions?: string;
  fields: RawField[];
}

export interface RawSpec {
  apiKey?: number;
  type: 'request' | 'response' | 'header' | 'data';
  name: string;
  validVersions: string;
  flexibleVersions: string;
  latestVersionUnstable?: boolean;
  fields: RawField[];
  commonStructs?: RawStruct[];
}

/** A spec file and where it came from, relative to the specs directory (for headers). */
export interface SpecFile {
  path: string;
  spec: RawSpec;
}

/** Removes `//` comments outside string literals; line breaks are kept so JSON errors point right. */
export function stripComments(text: string): string {
  let out = '';
  let i = 0;
  let inString = false;
  while (i < text.length) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') {
        out += text.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (c === '"') inString = false;
      out += c;
      i++;
    } else if (c === '"') {
      inString = true;
      out += c;
      i++;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

export function parseSpec(text: string, where: string): RawSpec {
  try {
    return JSON.parse(stripComments(text)) as RawSpec;
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
}

/** Parses "3+", "0-4", "1" or "none" (null). */
export function parseVersions(s: string | undefined, where: string): VersionRange | null {
  if (s === undefined || s === 'none') return null;
  const open = /^(\d+)\+$/.exec(s);
  if (open) return { min: Number(open[1]), max: Number.POSITIVE_INFINITY };
  const range = /^(\d+)-(\d+)$/.exec(s);
  if (range) return { min: Number(range[1]), max: Number(range[2]) };
  if (/^\d+$/.test(s)) return { min: Number(s), max: Number(s) };
  throw new Error(`${where}: bad version range '${s}'`);
}

/** The spec folders the generator reads, in output order. */
export const SPEC_FOLDERS = ['messages', 'group-coordinator', 'transaction-coordinator'] as const;
export type SpecFolder = (typeof SPEC_FOLDERS)[number];

/** Reads every `*.json` of one folder, sorted by file name so output order never depends on the file system. */
export function loadFolder(specsDir: string, folder: SpecFolder): SpecFile[] {
  const dir = join(specsDir, folder);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const path = `${folder}/${f}`;
      return { path, spec: parseSpec(readFileSync(join(dir, f), 'utf8'), path) };
    });
}
