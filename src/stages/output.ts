/**
 * Where a stage's lines go. The CLI and the stage runner print result lines on stdout and progress
 * on stderr; a caller that passes nothing gets a quiet stage.
 */
export interface StageOutput {
  /** A result line: what the stage made. */
  say?: (line: string) => void;
  /** A progress or diagnostic line. */
  note?: (line: string) => void;
}

export const silent = (): void => {};
