import { afterEach } from 'vitest';
import { runTestCleanup } from './cleanup.js';

afterEach(runTestCleanup);
