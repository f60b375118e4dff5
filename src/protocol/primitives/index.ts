// The protocol primitives: Reader and Writer over Buffer, and Kafka UUIDs as strings.
export { Reader, type UnknownTaggedField } from './reader.js';
export { isUuid, randomUuid, uuidFromBytes, uuidToBytes, ZERO_UUID } from './uuid.js';
export { Writer } from './writer.js';
