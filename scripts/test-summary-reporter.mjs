// A node:test reporter for scripts/run-tests.mjs, beside the spec reporter: at the end it writes
// one JSON line with the run's counts (the runner adds up its phases) and how long each test file's
// top-level tests took (the runner balances its parallel phase by them).
export default async function* summaryReporter(source) {
  const files = {};
  const counts = {};
  for await (const event of source) {
    const { data } = event;
    if ((event.type === 'test:pass' || event.type === 'test:fail') && data.nesting === 0 && data.file) {
      files[data.file] = (files[data.file] ?? 0) + (data.details?.duration_ms ?? 0);
    }
    // The runner's closing diagnostics: "tests 12", "pass 11", "fail 1", "skipped 0", …
    if (event.type === 'test:diagnostic' && data.nesting === 0 && !data.file) {
      const count = /^(tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$/.exec(data.message);
      if (count) counts[count[1]] = Number(count[2]);
    }
  }
  yield `${JSON.stringify({ counts, files })}\n`;
}
