import { LEDGER_SIZE, LEDGER_TTL_MS } from './ledger-options.js';

/** Why an id names no decision that may take an outcome. */
export type LedgerMiss = 'unknown' | 'expired' | 'settled';

/** What an outcome's author is told when its decision id takes no outcome. */
export function ledgerMissMessage(miss: LedgerMiss, ttlMs = LEDGER_TTL_MS): string {
  const minutes = Math.round(ttlMs / 60_000);
  switch (miss) {
    case 'unknown':
      return 'is not a decision this server made (ids are per server process)';
    case 'expired':
      return `is more than ${minutes} minutes old or beyond the last ${LEDGER_SIZE} decisions`;
    case 'settled':
      return 'already has its outcome; a decision takes one';
  }
}
