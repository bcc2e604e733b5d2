import { type Logger, pino } from 'pino';

/** A logger that writes nothing. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** A logger whose lines are collected as parsed objects, for asserting on logs. */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    {
      level: 'trace',
      redact: { paths: ['user_hash_salt', '*.user_hash_salt', 'salt'], censor: '[secret]' },
    },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}
