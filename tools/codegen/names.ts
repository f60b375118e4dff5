// Names of generated things, derived from the spec names.

/** `TopicId` -> `topicId`, `KRaftVersion` -> `kRaftVersion`, `group` -> `group`. */
export function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** `OffsetForLeaderEpoch` -> `offset-for-leader-epoch`, `KRaftVersionRecord` -> `kraft-version-record`. */
export function kebabCase(name: string): string {
  return name
    .replace(/^KRaft/, 'Kraft')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

/** `ProduceRequest` -> `Produce`: the API name used by ApiKey and the module file. */
export function apiName(messageName: string): string {
  return messageName.replace(/(Request|Response)$/, '');
}

/** Identifiers the emitted functions use for their own parameters. */
const TAKEN = new Set(['r', 'w', 'm', 'version', 'message']);
const KEYWORDS = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends ' +
    'false finally for function if import in instanceof new null return super switch this throw ' +
    'true try typeof var void while with yield let static implements interface package private ' +
    'protected public await arguments eval undefined'
  ).split(' '),
);

/** The local variable holding a field while a struct is decoded. */
export function localName(fieldName: string): string {
  return TAKEN.has(fieldName) || KEYWORDS.has(fieldName) ? `${fieldName}Value` : fieldName;
}

/** A single-quoted TS string literal. */
export function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
