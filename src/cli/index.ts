/**
 * The `flagroute` command line: thin over the library's doors; `main.ts` is the program.
 *
 * @packageDocumentation
 */
export { EXIT, EXIT_CODES } from './exit-codes.js';
export { buildProgram } from './program.js';
