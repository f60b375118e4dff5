// Decoders: straight-line reads with `version` tests folded against the struct's version
// context. Every field of the result is set (its default when absent in the version), and
// unknown tagged fields are kept as views into the input.

import { defaultExpr, elementTsType, fieldTsType, type Needs } from './emit-types.js';
import type { ElementType, FieldModel, MessageModel, StructModel } from './model.js';
import { localName, quote } from './names.js';
import { type Condition, choose, condition, formatRange, intersect } from './versions.js';

interface ReadContext {
  /** The reader variable: `r`, or `_tr` inside a tagged field. */
  reader: string;
  /** Compact encodings (flexible) in this field's versions. */
  flex: Condition;
  /** Null allowed in this field's versions. */
  nullable: Condition;
  /** Qualified field name for error messages. */
  where: string;
}

function paren(expr: string): string {
  return expr.includes('?') ? `(${expr})` : expr;
}

function readElement(e: ElementType, c: ReadContext): string {
  const r = c.reader;
  if (e.kind === 'struct') {
    const call = `decode${e.struct.tsName}(${r}, version)`;
    return choose(c.nullable, `${r}.int8() < 0 ? null : ${call}`, call);
  }
  const flexNull = (compact: string, classic: string) =>
    choose(
      c.flex,
      paren(choose(c.nullable, `${r}.compactNullable${compact}()`, `${r}.compact${compact}()`)),
      paren(
        choose(
          c.nullable,
          `${r}.nullable${classic}()`,
          `${r}.${classic.charAt(0).toLowerCase()}${classic.slice(1)}()`,
        ),
      ),
    );
  switch (e.name) {
    case 'string':
      return flexNull('String', 'String');
    case 'bytes':
    case 'records':
      return flexNull('Bytes', 'Bytes');
    default:
      return `${r}.${e.name}()`;
  }
}

/**
 * Statements that read field `f` into `target`: declared here as a const when `declare` is
 * set (an array present in every version), else a variable declared before.
 */
function readInto(f: FieldModel, target: string, c: ReadContext, declare = false): string {
  if (f.type.kind !== 'array') return `${target} = ${readElement(f.type, c)};\n`;
  const count = `_${target}Count`;
  const r = c.reader;
  const el = f.type.element;
  const elementType = elementTsType(el);
  const readCount = `const ${count} = ${choose(c.flex, `${r}.compactArrayLength()`, `${r}.arrayLength()`)};\n`;
  const loop = (arr: string) =>
    `for (let _i = 0; _i < ${count}; _i++) ${arr}.push(${readElement(el, { ...c, nullable: 'never' })});\n`;
  if (c.nullable === 'never') {
    const decl = declare ? `const ${target}: ${elementType}[] = [];\n` : `${target} = [];\n`;
    return `${readCount}if (${count} < 0) throw nullField(${quote(c.where)});\n${decl}${loop(target)}`;
  }
  const onNull =
    c.nullable === 'always'
      ? `${target} = null;\n`
      : `if (!(${c.nullable})) throw nullField(${quote(c.where)});\n${target} = null;\n`;
  const arr = `_${target}`;
  return (
    `${declare ? `let ${target}: ${fieldTsType(f)};\n` : ''}${readCount}` +
    `if (${count} < 0) {\n${onNull}} else {\n` +
    `const ${arr}: ${elementType}[] = [];\n${loop(arr)}${target} = ${arr};\n}\n`
  );
}

function fieldContext(f: FieldModel, s: StructModel, reader: string): ReadContext {
  const present = intersect(f.versions, s.versions);
  return {
    reader,
    flex: condition(f.flexibleVersions, present),
    nullable: condition(f.nullableVersions, present),
    where: `${s.tsName}.${f.specName}`,
  };
}

export function emitDecoder(msg: MessageModel, s: StructModel, needs: Needs): string {
  const isRoot = s === msg.root;
  const name = `decode${s.tsName}`;
  let body = '';
  if (isRoot) {
    const v = msg.validVersions;
    body += `if (!(version >= ${v.min} && version <= ${v.max})) throw unsupportedVersion(${quote(msg.name)}, version, ${quote(formatRange(v))});\n`;
  }
  const props: string[] = [];
  for (const f of s.fields) {
    const local = localName(f.name);
    props.push(local === f.name ? f.name : `${f.name}: ${local}`);
    const type = fieldTsType(f);
    const present = condition(f.versions, s.versions);
    if (f.tag !== null || present === 'never') {
      body += `let ${local}: ${type} = ${defaultExpr(f.default, needs)};\n`;
      continue;
    }
    const c = fieldContext(f, s, 'r');
    if (f.type.kind !== 'array') {
      const read = readElement(f.type, c);
      body +=
        present === 'always'
          ? `const ${local}: ${type} = ${read};\n`
          : `const ${local}: ${type} = ${present} ? ${paren(read)} : ${defaultExpr(f.default, needs)};\n`;
    } else if (present === 'always') {
      body += readInto(f, local, c, true);
    } else {
      body += `let ${local}: ${type} = ${defaultExpr(f.default, needs)};\nif (${present}) {\n${readInto(f, local, c)}}\n`;
    }
  }
  const flex = condition(msg.flexibleVersions, s.versions);
  if (flex !== 'never') {
    let tags = '';
    for (const f of s.fields) {
      if (f.tag === null) continue;
      const tagged = condition(f.versions, intersect(s.versions, msg.flexibleVersions));
      if (tagged === 'never') continue;
      const local = localName(f.name);
      const c = fieldContext(f, s, '_tr');
      tags +=
        `if (_tag === ${f.tag}${tagged === 'always' ? '' : ` && ${tagged}`}) {\n` +
        `const _tr = new Reader(_data);\n${readInto(f, local, c)}` +
        `if (_tr.remaining() !== 0) throw taggedFieldSize(${quote(c.where)}, _tr.remaining());\n} else `;
    }
    tags += '(_unknown ??= []).push({ tag: _tag, data: _data });\n';
    const loop =
      'const _tagCount = r.unsignedVarint();\n' +
      'for (let _j = 0; _j < _tagCount; _j++) {\n' +
      'const _tag = r.unsignedVarint();\n' +
      'const _data = r.raw(r.unsignedVarint());\n' +
      `${tags}}\n`;
    body +=
      'let _unknown: UnknownTaggedField[] | undefined;\n' +
      (flex === 'always' ? loop : `if (${flex}) {\n${loop}}\n`) +
      `const _m: ${s.tsName} = { ${props.join(', ')} };\n` +
      'if (_unknown !== undefined) _m.unknownTaggedFields = _unknown;\n' +
      'return _m;\n';
  } else {
    body += `return { ${props.join(', ')} };\n`;
  }
  const v = /\bversion\b/.test(body) ? 'version' : '_version';
  const head = `${isRoot ? 'export ' : ''}function ${name}(r: Reader, ${v}: number): ${s.tsName}`;
  return `${head} {\n${body}}\n`;
}
