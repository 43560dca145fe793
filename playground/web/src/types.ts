/** The playground API's response shapes: the server's own declaration, imported for types only. */
export type * from '../../server/api-types.js';
