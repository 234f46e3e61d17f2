/** Exit statuses of a second signal, by the shell's convention (128 + the signal's number). */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

export type StopSignal = keyof typeof SIGNAL_EXIT;

/**
 * An AbortSignal fired by the first SIGINT (Ctrl-C) or SIGTERM (`kill`, a cancelled CI job), after
 * `onFirst` has said what happens now: the work stops its child processes and says how to resume.
 * A second signal exits at once.
 */
export function stopSignal(onFirst: (signal: StopSignal) => void): AbortSignal {
  const controller = new AbortController();
  const onSignal = (signal: StopSignal) => {
    if (controller.signal.aborted) process.exit(SIGNAL_EXIT[signal]);
    onFirst(signal);
    controller.abort();
  };
  for (const signal of Object.keys(SIGNAL_EXIT) as StopSignal[]) process.on(signal, onSignal);
  return controller.signal;
}
