/**
 * Signed decision tokens: what a decision says of itself (backend, cohort, bucket, config
 * version, breaker trial, times, its id), signed with HMAC-SHA256 under a keyring that rotates,
 * so that any instance holding the key ties an outcome to a decision made elsewhere.
 *
 * @packageDocumentation
 */
export {
  DECISION_KEY_VARIABLE,
  type DecisionKey,
  type DecisionKeyring,
  MIN_SECRET_BYTES,
  parseDecisionKeys,
} from './decision-keys.js';
export {
  CLAIMS_VERSION,
  checkDecisionToken,
  type DecisionClaims,
  type DecisionFacts,
  MAX_TOKEN_LENGTH,
  signDecisionToken,
  TOKEN_REFUSAL_MESSAGES,
  TOKEN_REFUSALS,
  type TokenCheck,
  type TokenCheckOptions,
  type TokenRefusal,
} from './decision-token.js';
export {
  DEFAULT_MAX_SKEW_MS,
  DEFAULT_TOKEN_TTL_MS,
  DecisionTokens,
  type DecisionTokensOptions,
} from './decision-tokens.js';
