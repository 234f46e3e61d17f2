import type { Command } from 'commander';

export function registerPipelineCommands(program: Command): void {
  void program;
}
