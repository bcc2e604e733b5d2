/** The routing every system in the benchmark implements. */
export const BENCH_ROUTING = {
  rolloutPercentage: 10,
  minLength: 100,
  maxLength: 1000,
  allowedTypes: ['metabolomics', 'clinical'],
  regions: { us_east: 25, us_west: 15, europe: 10 } as Record<string, number>,
};

/** flagroute's configuration of {@link BENCH_ROUTING}, as files. */
export function flagrouteFiles(): Record<string, string> {
  return {
    'environments/bench.yaml': [
      `rollout_percentage: ${BENCH_ROUTING.rolloutPercentage}`,
      'enable_conditional_routing: true',
      'log_level: silent',
      'rule_files: [rules/eligibility.yaml, rules/geography.yaml]',
      '',
    ].join('\n'),
    'rules/eligibility.yaml': JSON.stringify({
      routing_rules: {
        complex_queries: {
          type: 'query_length',
          min_length: BENCH_ROUTING.minLength,
          max_length: BENCH_ROUTING.maxLength,
        },
        domain_queries: { type: 'query_type', allowed_types: BENCH_ROUTING.allowedTypes },
      },
    }),
    'rules/geography.yaml': JSON.stringify({
      geographic_routing: Object.fromEntries(
        Object.entries(BENCH_ROUTING.regions).map(([region, rollout]) => [
          region,
          { rollout_percentage: rollout },
        ]),
      ),
    }),
  };
}
