/**
 * The child process of `rule-file-process.ts`: checks rule-file texts sent to it, one message
 * each, and answers with the result (or the error a bug threw), tagged with the job's id and
 * its CPU time so far. It has no handle but its channel to the parent, so it ends when the
 * parent does.
 */

import { packRuleFile, type RuleFileJob, type RuleFileReply } from './rule-file-process.js';
import { checkRuleFileText } from './rule-file-text.js';

// Ctrl-C in a terminal signals the whole process group: the parent decides when to stop, and
// this process ends when its channel closes. (A signal's listener does not keep it alive.)
process.on('SIGINT', () => undefined);

// The YAML parser reads process.env.LOG_TOKENS once per token (280,000 for a file of 10,000
// rules), and every read of the real environment is a call into C++ (about 0.1 µs): some 28 ms
// a file. This process is started with an empty environment and starts no process of its own,
// so a plain object answers the same.
process.env = {};

process.on('message', (job: RuleFileJob) => {
  if (job.text === undefined) {
    process.send?.({ id: job.id, cpuMicros: cpuMicros() } satisfies RuleFileReply);
    return;
  }
  let reply: RuleFileReply;
  try {
    const result = packRuleFile(checkRuleFileText(job.text, job.path, job.displayPath));
    reply = { id: job.id, result, cpuMicros: cpuMicros() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    reply = { id: job.id, error: message, cpuMicros: cpuMicros() };
  }
  process.send?.(reply);
});

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
