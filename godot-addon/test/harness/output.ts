/**
 * Reads what the engine printed: the test runner's `ENSOUL-TEST` lines and the engine's error
 * lines. Pure functions over the captured lines, so they are testable without a browser.
 */

/** One test method's outcome, as `test_runner.gd` reported it. */
export interface TestResult {
  /** `tests/test_codec.gd::test_round_trip`; a script that failed to load has no `::name`. */
  id: string;
  /** The script, relative to `res://`. */
  script: string;
  /** The method name, or "" for a whole-script failure (not loadable, no tests). */
  name: string;
  passed: boolean;
  durationMs: number;
  /** The first failure (and a count of further ones); "" for a pass. */
  message: string;
}

export interface TestSummary {
  passed: number;
  failed: number;
  total: number;
}

const TEST_LINE = /^ENSOUL-TEST (PASS|FAIL) (\S+) (\d+)ms(?:: (.*))?$/;
const SUMMARY_LINE = /^ENSOUL-TEST SUMMARY passed=(\d+) failed=(\d+) total=(\d+)$/;

/** The per-test results printed by the runner, in order. */
export function parseTestResults(stdout: readonly string[]): TestResult[] {
  const results: TestResult[] = [];
  for (const line of stdout) {
    const m = TEST_LINE.exec(line);
    if (!m) continue;
    const id = m[2]!;
    const split = id.indexOf("::");
    results.push({
      id,
      script: split < 0 ? id : id.slice(0, split),
      name: split < 0 ? "" : id.slice(split + 2),
      passed: m[1] === "PASS",
      durationMs: Number(m[3]),
      message: (m[4] ?? "").replace(/\\n/g, "\n"),
    });
  }
  return results;
}

/** The runner's summary line, or null when it printed none (it crashed, hung, or never ran). */
export function parseTestSummary(stdout: readonly string[]): TestSummary | null {
  for (let i = stdout.length - 1; i >= 0; i--) {
    const m = SUMMARY_LINE.exec(stdout[i]!);
    if (m) return { passed: Number(m[1]), failed: Number(m[2]), total: Number(m[3]) };
  }
  return null;
}

/**
 * Error lines of the given kind (`SCRIPT ERROR` or `ERROR`) with the engine's following
 * `at: …` location line folded in: "SCRIPT ERROR: Parse Error: … (at: GDScript::reload (res://x.gd:3))".
 */
export function collectErrors(stderr: readonly string[], kind: "SCRIPT ERROR" | "ERROR"): string[] {
  const errors: string[] = [];
  const prefix = `${kind}:`;
  for (let i = 0; i < stderr.length; i++) {
    const line = stderr[i]!;
    if (!line.startsWith(prefix)) continue;
    const next = stderr[i + 1]?.trim();
    errors.push(next?.startsWith("at:") ? `${line} (${next})` : line);
  }
  return errors;
}
