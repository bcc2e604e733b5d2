/**
 * The worker thread of `rule-file-thread.ts`: checks rule-file texts sent to it, one message
 * each, and answers with the result (or the error a bug threw), tagged with the job's id.
 */
import { parentPort } from 'node:worker_threads';
import { checkRuleFileText } from './rule-file-text.js';
import { packRuleFile, type RuleFileJob, type RuleFileReply } from './rule-file-thread.js';

parentPort?.on('message', (job: RuleFileJob) => {
  let reply: RuleFileReply;
  try {
    const result = checkRuleFileText(job.text, job.path, job.displayPath);
    reply = { id: job.id, result: packRuleFile(result) };
  } catch (error) {
    reply = { id: job.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(reply);
});
