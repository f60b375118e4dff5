// TS types of the generated messages, and the default values and default tests that the
// decoders (absent fields), encoders (undefined optional fields, tagged fields) share.
import type { DefaultValue, ElementType, FieldModel, FieldType, StructModel } from './model.js';
import { quote } from './names.js';
import { formatRange } from './versions.js';

/** Structs whose default factory or default test some emitted code calls. */
export class Needs {
  readonly defaults = new Set<StructModel>();
  readonly defaultTests = new Set<StructModel>();
}

export function elementTsType(e: ElementType): string {
  if (e.kind === 'struct') return e.struct.tsName;
  switch (e.name) {
    case 'int64':
      return 'bigint';
    case 'bool':
      return 'boolean';
    case 'string':
    case 'uuid':
      return 'string';
    case 'bytes':
    case 'records':
      return 'Buffer';
    default:
      return 'number';
  }
}

export function valueTsType(t: FieldType): string {
  return t.kind === 'array' ? `${elementTsType(t.element)}[]` : elementTsType(t);
}

export function fieldTsType(f: FieldModel): string {
  const base = valueTsType(f.type);
  return f.nullable ? `${base} | null` : base;
}

function fieldDoc(f: FieldModel, s: StructModel): string {
  const facts: string[] = [];
  if (f.optional && f.versions !== null) facts.push(`versions ${formatRange(f.versions)}`);
  if (f.tag !== null) facts.push(`tag ${f.tag}`);
  if (f.nullable && f.nullableVersions !== null && s.versions !== null) {
    const n = f.nullableVersions;
    const present = f.versions ?? n;
    if (n.min > present.min || n.max < present.max) facts.push(`nullable ${formatRange(n)}`);
  }
  return facts.length === 0 ? '' : `  /** ${facts.join(', ')} */\n`;
}

export function emitInterface(s: StructModel): string {
  let out = `export interface ${s.tsName} {\n`;
  for (const f of s.fields) {
    out += `${fieldDoc(f, s)}  ${f.name}${f.optional ? '?' : ''}: ${fieldTsType(f)};\n`;
  }
  if (s.flexibleVersions !== null) out += '  unknownTaggedFields?: UnknownTaggedField[];\n';
  return `${out}}\n`;
}

export function defaultExpr(d: DefaultValue, needs: Needs): string {
  switch (d.kind) {
    case 'null':
      return 'null';
    case 'number':
      return String(d.value);
    case 'bigint':
      return `${d.value}n`;
    case 'bool':
      return String(d.value);
    case 'string':
      return quote(d.value);
    case 'zeroUuid':
      return 'ZERO_UUID';
    case 'emptyBytes':
      return 'EMPTY_BYTES';
    case 'emptyArray':
      return '[]';
    case 'struct':
      needs.defaults.add(d.struct);
      return `default${d.struct.tsName}()`;
  }
}

/** A boolean TS expression: `v` (never undefined here) equals the field's default. */
export function isDefaultExpr(f: FieldModel, v: string, needs: Needs): string {
  const d = f.default;
  const orNull = f.nullable ? `${v} !== null && ` : '';
  switch (d.kind) {
    case 'null':
      return `${v} === null`;
    case 'emptyBytes':
    case 'emptyArray':
      return `${orNull}${v}.length === 0`;
    case 'struct':
      needs.defaultTests.add(d.struct);
      return `${orNull}isDefault${d.struct.tsName}(${v})`;
    default:
      return `${v} === ${defaultExpr(d, needs)}`;
  }
}

/** `function defaultX(): X` — every field at its default, as a decoder fills an absent struct. */
export function emitDefaultFactory(s: StructModel, needs: Needs): string {
  const props = s.fields.map((f) => `${f.name}: ${defaultExpr(f.default, needs)}`);
  return `function default${s.tsName}(): ${s.tsName} {\n  return { ${props.join(', ')} };\n}\n`;
}

/** `function isDefaultX(s: X): boolean` — whether a tagged field holding it may be left out. */
export function emitDefaultTest(s: StructModel, needs: Needs): string {
  const terms = s.fields.map((f) => {
    const v = `s.${f.name}`;
    const test = isDefaultExpr(f, v, needs);
    return f.optional ? `(${v} === undefined || ${test})` : `(${test})`;
  });
  if (s.flexibleVersions !== null) {
    terms.push('(s.unknownTaggedFields === undefined || s.unknownTaggedFields.length === 0)');
  }
  const body = terms.length === 0 ? 'true' : terms.join(' && ');
  return `function isDefault${s.tsName}(s: ${s.tsName}): boolean {\n  return ${body};\n}\n`;
}
