/**
 * `tollgate/errors`: Tollgate's error classes and field-issue helpers alone — no engine, no adapters —
 * for code that only needs to throw or recognise them (the trace readers' worker thread loads this
 * instead of the whole package). The same classes as the `tollgate` entry exports.
 */
export * from './engine/errors.js';
