import type { Command } from 'commander';

/** What a command's exit codes mean, shown in its `--help`. */
export type ExitCodeHelp = Partial<Record<0 | 1 | 2, string>>;

const DEFAULT_EXIT_CODES: Required<ExitCodeHelp> = {
  0: 'success',
  1: 'failed or invalid result',
  2: 'unreadable or invalid input (missing file, bad JSON, bad flags, unknown id)',
};

/** Adds "Examples" and "Exit codes" sections after a command's option list in `--help`. */
export function addHelpSections(command: Command, sections: { examples: readonly string[]; exitCodes?: ExitCodeHelp }): Command {
  const codes = { ...DEFAULT_EXIT_CODES, ...sections.exitCodes };
  const lines = [
    '',
    'Examples:',
    ...sections.examples.map((e) => `  $ ${e}`),
    '',
    'Exit codes:',
    ...Object.entries(codes).map(([code, text]) => `  ${code}  ${text}`),
  ];
  return command.addHelpText('after', lines.join('\n'));
}

/** Collects a repeatable option's values into an array (commander `argParser`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
