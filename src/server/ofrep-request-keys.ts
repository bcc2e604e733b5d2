import { echoed } from '../config/schema-errors.js';
import { escapeControls } from '../log-escapes.js';
import { attributesReadBy, OFREP_CONTEXT_FIELDS } from '../ofrep/index.js';
import type { Router } from '../router/router.js';

/** The distinct keys logged before the log says no more will be (the caller chooses names). */
const MAX_KEYS_LOGGED = 16;

const CONTEXT_FIELDS: ReadonlySet<string> = new Set(OFREP_CONTEXT_FIELDS);

/**
 * Keys an OFREP request carries beside `context`. OFREP's `evaluationRequest` (v0.3.0) requires
 * `context` and does not close the object, and the protocol reads what it does not know as
 * room for a newer version (providers ignore unknown event types, for forward compatibility):
 * a server that refused such a key would fail every evaluation of a provider one version
 * ahead. So the key is ignored, as the spec lets it be, but not without a word: the first
 * request with each name is logged, saying when the key is a context field or an attribute a
 * loaded rule reads (`{"context": {...}, "region": "eu"}`: the caller meant it inside), at most
 * {@link MAX_KEYS_LOGGED} names per server.
 */
export class KeysBesideContext {
  private readonly logged = new Set<string>();

  constructor(private readonly router: Router) {}

  /** Logs the keys of `body` other than `context` not logged before. */
  notice(body: object): void {
    // The usual body has one key: this loop is the whole cost of the check.
    for (const key in body) {
      if (key !== 'context' && !this.logged.has(key)) this.log(key);
    }
  }

  private log(key: string): void {
    if (this.logged.size >= MAX_KEYS_LOGGED) {
      if (this.logged.size === MAX_KEYS_LOGGED) {
        this.logged.add(key);
        this.router.logger.warn(
          `more keys beside "context" in OFREP requests are ignored, and no longer logged (${MAX_KEYS_LOGGED} were)`,
        );
      }
      return;
    }
    this.logged.add(key);
    // The caller chose the name: cut, and no character of it breaks or reorders the line.
    const shown = escapeControls(echoed(key, true));
    this.router.logger.warn(
      { key: escapeControls(echoed(key)) },
      `an OFREP request carried ${shown} beside "context" and it was ignored: ${this.why(key, shown)} (logged once per key)`,
    );
  }

  private why(key: string, shown: string): string {
    if (CONTEXT_FIELDS.has(key)) {
      return `OFREP reads only "context", and ${shown} is a field of the context; put it inside "context"`;
    }
    if (attributesReadBy(this.router.config)?.has(key)) {
      return `OFREP reads only "context", and ${shown} is an attribute a loaded rule reads; put it inside "context"`;
    }
    return 'OFREP v0.3.0 defines no such key, and a request may carry keys a newer version adds';
  }
}
