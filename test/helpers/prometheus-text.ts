import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/** One sample of a parsed metric family. */
export interface Sample {
  value: string;
  labels?: Record<string, string>;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}

/** A metric family as parse-prometheus-text-format returns it. */
export interface Family {
  name: string;
  help: string;
  type: string;
  metrics: Sample[];
}

/** Parses Prometheus text exposition with a real parser, by family name. */
export function parseMetrics(text: string): Map<string, Family> {
  const families = (parsePrometheusTextFormat as unknown as (text: string) => Family[])(text);
  return new Map(families.map((family) => [family.name, family]));
}
