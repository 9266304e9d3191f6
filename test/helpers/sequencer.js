const { readFileSync } = require('node:fs');
const Sequencer = require('@jest/test-sequencer').default;

/**
 * What starts first on a fresh clone. Jest orders test files by their durations in its cache,
 * and without one (a clean checkout, CI) by file size, which put the longest file (the bench
 * smoke, small but minutes long) near the end of a run, where one worker ran it alone. Without
 * timings, files that start processes (`buildDist`), a browser or a federation of partner
 * services, the longest here, go first, in that order; with timings, Jest's own order stands.
 */
const slowFirst = [/\bbuildDist\(/, /\bstartBrowser\(/, /\bcreateTestFederation\(/];

class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    if (sorted.some((test) => test.duration != null)) return sorted;
    const rank = (test) => {
      const source = readFileSync(test.path, 'utf8');
      const found = slowFirst.findIndex((pattern) => pattern.test(source));
      return found === -1 ? slowFirst.length : found;
    };
    const ranks = new Map(sorted.map((test) => [test.path, rank(test)]));
    // Array.prototype.sort is stable: within a rank, Jest's order (by size) stands.
    return [...sorted].sort((a, b) => ranks.get(a.path) - ranks.get(b.path));
  }
}

module.exports = SlowFirstSequencer;
