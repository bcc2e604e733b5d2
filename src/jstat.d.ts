// jstat ships no types; this declares the one function flagroute uses.
declare module 'jstat' {
  const jstat: {
    jStat: { chisquare: { cdf(x: number, degreesOfFreedom: number): number } };
  };
  export default jstat;
}
