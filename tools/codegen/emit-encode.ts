// Encoders: the mirror of the decoders. Optional fields that are undefined are written as
// their spec default; tagged fields are written only when they differ from their default,
// merged with the struct's unknown tagged fields in ascending tag order.

import { defaultExpr, isDefaultExpr, type Needs } from './emit-types.js';
import type { ElementType, FieldModel, MessageModel, StructModel } from './model.js';
import { quote } from './names.js';
import { type Condition, condition, formatRange, intersect } from './versions.js';

interface WriteContext {
  /** The writer variable: `w`, or `_tw` inside a tagged field. */
  writer: string;
  flex: Condition;
  nullable: Condition;
  where: string;
}

/** Statements `a` when cond holds, `b` otherwise, folded when the condition is known. */
function branch(cond: Condition, a: string, b: string): string {
  if (cond === 'always' || a === b) return a;
  if (cond === 'never') return b;
  return `if (${cond}) {\n${a}} else {\n${b}}\n`;
}

/** Writes element value `v` (an identifier or property path; may be null if nullable). */
function writeElement(e: ElementType, v: string, c: WriteContext, typeNullable: boolean): string {
  const w = c.writer;
  const nonNull = typeNullable ? `nonNull(${v}, ${quote(c.where)})` : v;
  if (e.kind === 'struct') {
    const call = (x: string) => `encode${e.struct.tsName}(${w}, ${x}, version);\n`;
    return branch(
      c.nullable,
      `if (${v} === null) ${w}.int8(-1);\nelse {\n${w}.int8(1);\n${call(v)}}\n`,
      call(nonNull),
    );
  }
  const flexNull = (compact: string, classic: string) =>
    branch(
      c.flex,
      branch(
        c.nullable,
        `${w}.compactNullable${compact}(${v});\n`,
        `${w}.compact${compact}(${nonNull});\n`,
      ),
      branch(c.nullable, `${w}.nullable${compact}(${v});\n`, `${w}.${classic}(${nonNull});\n`),
    );
  switch (e.name) {
    case 'string':
      return flexNull('String', 'string');
    case 'bytes':
    case 'records':
      return flexNull('Bytes', 'bytes');
    default:
      return `${w}.${e.name}(${v});\n`;
  }
}

/** Writes field `f` whose value is the local or path `v`. */
function writeField(f: FieldModel, v: string, c: WriteContext): string {
  if (f.type.kind !== 'array') return writeElement(f.type, v, c, f.nullable);
  const w = c.writer;
  const el = f.type.element;
  const elementCtx: WriteContext = { ...c, nullable: 'never' };
  const len = (n: string) =>
    branch(c.flex, `${w}.compactArrayLength(${n});\n`, `${w}.arrayLength(${n});\n`);
  const items = `${len(`${v}.length`)}for (const _e of ${v}) ${writeElement(el, '_e', elementCtx, false)}`;
  if (!f.nullable) return items;
  const onNull = branch(c.nullable, len('-1'), `throw nullNotAllowed(${quote(c.where)});\n`);
  return `if (${v} === null) {\n${onNull}} else {\n${items}}\n`;
}

function fieldContext(f: FieldModel, s: StructModel, writer: string): WriteContext {
  const present = intersect(f.versions, s.versions);
  return {
    writer,
    flex: condition(f.flexibleVersions, present),
    nullable: condition(f.nullableVersions, present),
    where: `${s.tsName}.${f.specName}`,
  };
}

/** Values read more than once (arrays, nullable structs) are bound to a local first. */
function needsLocal(f: FieldModel): boolean {
  return f.type.kind === 'array' || (f.type.kind === 'struct' && f.nullable);
}

export function emitEncoder(msg: MessageModel, s: StructModel, needs: Needs): string {
  const isRoot = s === msg.root;
  const m = isRoot ? 'message' : 'm';
  let body = '';
  if (isRoot) {
    const v = msg.validVersions;
    body += `if (!(version >= ${v.min} && version <= ${v.max})) throw unsupportedVersion(${quote(msg.name)}, version, ${quote(formatRange(v))});\n`;
  }
  for (const f of s.fields) {
    if (f.tag !== null) continue;
    const present = condition(f.versions, s.versions);
    if (present === 'never') continue;
    const c = fieldContext(f, s, 'w');
    // `??` would also replace null, which is a value of its own for a nullable field.
    const fallback = f.optional ? defaultExpr(f.default, needs) : '';
    const path = `${m}.${f.name}`;
    let value = path;
    if (f.optional && f.nullable) value = `(${path} === undefined ? ${fallback} : ${path})`;
    else if (f.optional) value = `(${path} ?? ${fallback})`;
    const local = `_${f.name}`;
    const code = needsLocal(f)
      ? `const ${local} = ${value};\n${writeField(f, local, c)}`
      : writeField(f, value, c);
    body += present === 'always' ? code : `if (${present}) {\n${code}}\n`;
  }
  const flex = condition(msg.flexibleVersions, s.versions);
  if (flex !== 'never') {
    let tags = '';
    for (const f of s.fields) {
      if (f.tag === null) continue;
      const tagged = condition(f.versions, intersect(s.versions, msg.flexibleVersions));
      if (tagged === 'never') continue;
      const local = `_${f.name}`;
      const c = fieldContext(f, s, '_tw');
      const write =
        `const _tw = new Writer(64);\n${writeField(f, local, c)}` +
        `(_tagged ??= []).push({ tag: ${f.tag}, data: _tw.toBuffer() });\n`;
      const code = `const ${local} = ${m}.${f.name};\nif (${local} !== undefined && !(${isDefaultExpr(f, local, needs)})) {\n${write}}\n`;
      tags += tagged === 'always' ? code : `if (${tagged}) {\n${code}}\n`;
    }
    let section: string;
    if (tags === '') {
      section =
        `if (${m}.unknownTaggedFields === undefined) w.unsignedVarint(0);\n` +
        `else w.taggedFields(${m}.unknownTaggedFields);\n`;
    } else {
      section =
        `let _tagged: UnknownTaggedField[] | undefined;\n${tags}` +
        `const _unknown = ${m}.unknownTaggedFields;\n` +
        'if (_unknown !== undefined) _tagged = _tagged === undefined ? _unknown : _tagged.concat(_unknown);\n' +
        'if (_tagged === undefined) w.unsignedVarint(0);\nelse w.taggedFields(_tagged);\n';
    }
    body += flex === 'always' ? section : `if (${flex}) {\n${section}}\n`;
  }
  if (isRoot) {
    return (
      `export function encode${s.tsName}(message: ${s.tsName}, version: number, w = new Writer()): Writer {\n` +
      `${body}return w;\n}\n`
    );
  }
  const v = /\bversion\b/.test(body) ? 'version' : '_version';
  return `function encode${s.tsName}(w: Writer, m: ${s.tsName}, ${v}: number): void {\n${body}}\n`;
}
