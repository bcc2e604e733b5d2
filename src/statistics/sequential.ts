/**
 * The half-width of the asymptotic confidence sequence of Waudby-Smith et al. for a difference
 * of means, as gbstats computes it: valid at every sample size at once, so the data may be
 * looked at as often as anyone likes. rho^2 = (-2 ln alpha + ln(-2 ln alpha + 1)) / N*,
 * s^2 = se^2 n, half-width = s sqrt(2 (n rho^2 + 1) / (n^2 rho^2) ln(sqrt(n rho^2 + 1) / alpha)).
 *
 * @param se - the standard error of the difference
 * @param n - units in both samples
 * @param tuning - N*, the sample size at which the sequence is tightest
 */
export function confidenceSequenceHalfWidth(
  se: number,
  n: number,
  alpha: number,
  tuning: number,
): number {
  const logAlpha = -2 * Math.log(alpha);
  const rho2 = (logAlpha + Math.log(logAlpha + 1)) / tuning;
  const s2 = se * se * n;
  return (
    Math.sqrt(s2) *
    Math.sqrt(((2 * (n * rho2 + 1)) / (n * n * rho2)) * Math.log(Math.sqrt(n * rho2 + 1) / alpha))
  );
}
