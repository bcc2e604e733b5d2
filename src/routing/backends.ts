import type { Backend } from '../config/types.js';

/** The backend being rolled out. */
export const CANDIDATE: Backend = 'lightrag';
/** The incumbent, where traffic goes whenever anything says no. */
export const FALLBACK: Backend = 'perplexity';
