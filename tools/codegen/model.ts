// The type model the emitters work from: specs resolved into structs and fields with parsed
// version ranges, TS names, defaults, and whether each field is optional in the TS type.
import { camelCase } from './names.js';
import type { RawField, RawSpec, SpecFile, VersionRange } from './spec.js';
import { parseVersions } from './spec.js';
import { covers, hull, intersect } from './versions.js';

export const PRIMITIVES = [
  'int8',
  'int16',
  'int32',
  'int64',
  'uint16',
  'float64',
  'bool',
  'string',
  'bytes',
  'records',
  'uuid',
] as const;
export type Primitive = (typeof PRIMITIVES)[number];

export type ElementType =
  | { kind: 'primitive'; name: Primitive }
  | { kind: 'struct'; struct: StructModel };
export type FieldType = ElementType | { kind: 'array'; element: ElementType };

export type DefaultValue =
  | { kind: 'null' }
  | { kind: 'number'; value: number }
  | { kind: 'bigint'; value: bigint }
  | { kind: 'bool'; value: boolean }
  | { kind: 'string'; value: string }
  | { kind: 'zeroUuid' }
  | { kind: 'emptyBytes' }
  | { kind: 'emptyArray' }
  | { kind: 'struct'; struct: StructModel };

export interface FieldModel {
  specName: string;
  /** Property name in the TS interface. */
  name: string;
  type: FieldType;
  versions: VersionRange | null;
  nullableVersions: VersionRange | null;
  /** Field-level override of the message's flexible versions (only compact-encoding choice). */
  flexibleVersions: VersionRange | null;
  tag: number | null;
  default: DefaultValue;
  /** `?` in the TS type: absent in some version of its struct, or tagged. */
  optional: boolean;
  /** The type admits null (nullable in some version where the field exists). */
  nullable: boolean;
}

export interface StructModel {
  specName: string;
  tsName: string;
  fields: FieldModel[];
  /** Versions in which this struct can occur (hull over all its uses). */
  versions: VersionRange | null;
  /** Versions in which the struct ends with a tagged-field section. */
  flexibleVersions: VersionRange | null;
}

export interface MessageModel {
  specPath: string;
  name: string;
  type: RawSpec['type'];
  apiKey: number | null;
  validVersions: VersionRange;
  flexibleVersions: VersionRange | null;
  latestVersionUnstable: boolean;
  root: StructModel;
  /** Nested and common structs, in first-use order (root excluded). */
  structs: StructModel[];
}

const INT_TYPES = new Set(['int8', 'int16', 'int32', 'uint16', 'float64']);

function parseDefault(
  raw: RawField,
  type: FieldType,
  nullable: boolean,
  where: string,
): DefaultValue {
  const d = raw.default;
  if (d === 'null' || d === null) {
    if (!nullable) throw new Error(`${where}: default null on a non-nullable field`);
    return { kind: 'null' };
  }
  if (type.kind === 'array') {
    if (d !== undefined) throw new Error(`${where}: unsupported array default ${d}`);
    return { kind: 'emptyArray' };
  }
  if (type.kind === 'struct') {
    if (d !== undefined) throw new Error(`${where}: unsupported struct default ${d}`);
    return { kind: 'struct', struct: type.struct };
  }
  const p = type.name;
  if (INT_TYPES.has(p)) {
    const value = d === undefined ? 0 : Number(d);
    if (!Number.isFinite(value)) throw new Error(`${where}: bad default ${d}`);
    return { kind: 'number', value };
  }
  switch (p) {
    case 'int64':
      return { kind: 'bigint', value: d === undefined ? 0n : BigInt(d as string | number) };
    case 'bool':
      return { kind: 'bool', value: d === true || d === 'true' };
    case 'string':
      return { kind: 'string', value: d === undefined ? '' : String(d) };
    case 'uuid':
      if (d !== undefined) throw new Error(`${where}: unsupported uuid default ${d}`);
      return { kind: 'zeroUuid' };
    default:
      if (d !== undefined) throw new Error(`${where}: unsupported ${p} default ${d}`);
      return { kind: 'emptyBytes' };
  }
}

/** Struct names get the message name in front, unless the spec already put it there. */
function structTsName(messageName: string, structName: string): string {
  return structName.startsWith(messageName) ? structName : messageName + structName;
}

export function buildMessage(file: SpecFile): MessageModel {
  const spec = file.spec;
  const where = file.path;
  const validVersions = parseVersions(spec.validVersions, where);
  if (validVersions === null || validVersions.max === Number.POSITIVE_INFINITY) {
    throw new Error(`${where}: validVersions must be a closed range`);
  }
  const flexibleVersions = parseVersions(spec.flexibleVersions, where);
  const common = new Map((spec.commonStructs ?? []).map((s) => [s.name, s]));
  const structs = new Map<string, StructModel>();
  const rawFieldsOf = new Map<StructModel, RawField[]>();
  const typed = new Map<RawField, FieldType>();
  const root: StructModel = {
    specName: spec.name,
    tsName: spec.name,
    fields: [],
    versions: validVersions,
    flexibleVersions: null,
  };

  // Pass 1: resolve types and grow each struct's version context over all its uses. A common
  // struct is walked once per use so the structs nested in it see every context too.
  const resolve = (rawFields: RawField[], ctx: VersionRange | null) => {
    for (const f of rawFields) {
      const versions = intersect(parseVersions(f.versions ?? f.taggedVersions, where), ctx);
      const isArray = f.type.startsWith('[]');
      const base = isArray ? f.type.slice(2) : f.type;
      let element: ElementType;
      if ((PRIMITIVES as readonly string[]).includes(base)) {
        element = { kind: 'primitive', name: base as Primitive };
      } else {
        const own = f.fields ?? common.get(base)?.fields;
        if (own === undefined) throw new Error(`${where}: struct ${base} has no fields`);
        let s = structs.get(base);
        if (s === undefined) {
          s = {
            specName: base,
            tsName: structTsName(spec.name, base),
            fields: [],
            versions,
            flexibleVersions: null,
          };
          structs.set(base, s);
          rawFieldsOf.set(s, own);
        } else {
          if (f.fields !== undefined && !common.has(base)) {
            throw new Error(`${where}: struct ${base} defined twice`);
          }
          s.versions = hull(s.versions, versions);
        }
        element = { kind: 'struct', struct: s };
        resolve(own, versions);
      }
      typed.set(f, isArray ? { kind: 'array', element } : element);
    }
  };
  resolve(spec.fields, validVersions);

  // Pass 2: fields, judged against the final contexts.
  const build = (s: StructModel, rawFields: RawField[]) => {
    s.flexibleVersions = intersect(flexibleVersions, s.versions);
    const tags = new Set<number>();
    for (const f of rawFields) {
      const fw = `${where} ${s.specName}.${f.name}`;
      const type = typed.get(f)!;
      const versions = parseVersions(f.versions ?? f.taggedVersions, fw);
      const nullableVersions = parseVersions(f.nullableVersions, fw);
      const tag = f.tag ?? null;
      if (tag !== null) {
        const tv = parseVersions(f.taggedVersions, fw);
        if (!tv || !versions || tv.min !== versions.min || tv.max !== versions.max) {
          throw new Error(`${fw}: taggedVersions must equal versions`);
        }
        if (tags.has(tag)) throw new Error(`${fw}: duplicate tag ${tag}`);
        tags.add(tag);
      }
      const present = intersect(versions, s.versions);
      const nullable = intersect(nullableVersions, present) !== null;
      s.fields.push({
        specName: f.name,
        name: camelCase(f.name),
        type,
        versions,
        nullableVersions,
        flexibleVersions:
          f.flexibleVersions === undefined
            ? flexibleVersions
            : parseVersions(f.flexibleVersions, fw),
        tag,
        default: parseDefault(f, type, nullable || nullableVersions !== null, fw),
        optional: tag !== null || !covers(versions, s.versions),
        nullable: nullable || (f.default === 'null' && nullableVersions !== null),
      });
    }
  };
  build(root, spec.fields);
  for (const [s, own] of rawFieldsOf) build(s, own);

  return {
    specPath: file.path,
    name: spec.name,
    type: spec.type,
    apiKey: spec.apiKey ?? null,
    validVersions,
    flexibleVersions,
    latestVersionUnstable: spec.latestVersionUnstable === true,
    root,
    structs: [...rawFieldsOf.keys()],
  };
}
