import type { Logger } from 'pino';

/** Bounds of a webhook delivery. */
export interface WebhookOptions {
  /** Per attempt. Default 2 s. */
  timeoutMs?: number;
  /** Attempts in all. Default 3. */
  attempts?: number;
  /** Wait before the second attempt, doubled after each. Default 250 ms. */
  backoffMs?: number;
  fetch?: typeof fetch;
  logger?: Logger;
}

/**
 * POSTs a JSON body to every URL, each with a bounded timeout and bounded retries (on a network
 * error or a 5xx). Failures are logged, never thrown: a webhook never blocks the plan.
 */
export async function deliverWebhooks(
  urls: readonly string[],
  body: unknown,
  options: WebhookOptions = {},
): Promise<void> {
  const send = options.fetch ?? fetch;
  const attempts = options.attempts ?? 3;
  const payload = JSON.stringify(body);
  await Promise.all(
    urls.map(async (url) => {
      let wait = options.backoffMs ?? 250;
      for (let attempt = 1; attempt <= attempts; attempt += 1) {
        try {
          const response = await send(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: payload,
            signal: AbortSignal.timeout(options.timeoutMs ?? 2000),
          });
          await response.body?.cancel();
          if (response.status < 500) {
            if (response.status >= 400) {
              options.logger?.warn(
                { url, status: response.status },
                'webhook refused the transition',
              );
            }
            return;
          }
          options.logger?.warn({ url, status: response.status, attempt }, 'webhook failed');
        } catch (error) {
          options.logger?.warn({ url, attempt, err: error }, 'webhook could not be delivered');
        }
        if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, wait));
        wait *= 2;
      }
      options.logger?.error({ url, attempts }, 'webhook given up; the plan goes on');
    }),
  );
}
