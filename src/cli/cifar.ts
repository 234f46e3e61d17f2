import type { Command } from 'commander';

export function registerCifarCommands(program: Command): void {
  void program;
}
