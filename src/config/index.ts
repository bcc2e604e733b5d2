/**
 * Configuration: read the environment and rule files whole, validate them against the schemas,
 * and overlay `LIGHTRAG_*` variables. The rollout layers the files hold are added up and
 * written by `src/rollout-layers`.
 *
 * @packageDocumentation
 */
export { type ConfigDescription, describeConfig, type SettingRow } from './describe-config.js';
export { LIGHTRAG_RULE_VARIABLES, LIGHTRAG_SETTING_VARIABLES } from './env-overlay.js';
export {
  CONFIG_ISSUE_CODES,
  ConfigError,
  type ConfigIssue,
  type ConfigIssueCode,
  type ConfigResult,
  formatIssue,
} from './issues.js';
export { loadConfig, tryLoadConfig } from './load-config.js';
// What a load gives: the loaded configuration and its parts, the options, the result.
export * from './loaded-config.js';
export {
  BACKENDS,
  type Backend,
  CANDIDATE,
  type EnvironmentSettings,
  type ExperimentBlock,
  FALLBACK,
  type RollbackBlock,
  type RoutingRuleSpec,
  type RuleFileContent,
  type RuntimeBlock,
} from './types.js';
export { type ValidationReport, validateConfigDir } from './validate-config-dir.js';
export { displayPath } from './yaml-file.js';
