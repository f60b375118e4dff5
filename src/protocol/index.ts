// The wire protocol as a library: generated codecs for every API, the primitives they are
// built on, record batches and codecs, and Kafka's error codes. No I/O.
export * from './errors.js';
export * from './messages/index.js';
export * from './primitives/index.js';
export * from './records/index.js';
