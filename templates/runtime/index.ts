/** The eventgen runtime: everything generated code and applications use. */
export * from './errors.js';
export * from './definitions.js';
export * from './envelope.js';
export * from './transport.js';
export * from './partitioner.js';
export { InMemoryTransport, type InMemoryTransportOptions } from './memory-transport.js';
export * from './retry.js';
export * from './processed-store.js';
export * from './logger.js';
export * from './metrics.js';
export * from './health.js';
export * from './dead-letter.js';
export * from './delegator.js';
export * from './producer.js';
export * from './consumer.js';
