import type { Command } from 'commander';

/** What a command's exit codes mean, shown in its `--help`. */
export type ExitCodeHelp = Readonly<Record<number, string>>;

const DEFAULT_EXIT_CODES: ExitCodeHelp = {
  0: 'success',
  1: 'failed or invalid result',
  2: 'unreadable or invalid input (missing file, bad JSON, bad flags, unknown id)',
};

/** Adds "Examples" and "Exit codes" sections after a command's option list in `--help`. */
export function addHelpSections(command: Command, sections: { examples: readonly string[]; exitCodes?: ExitCodeHelp; notes?: string }): Command {
  const codes = { ...DEFAULT_EXIT_CODES, ...sections.exitCodes };
  const lines = [
    '',
    'Examples:',
    ...sections.examples.map((e) => `  $ ${e}`),
    '',
    'Exit codes:',
    ...Object.entries(codes).map(([code, text]) => `  ${code.padEnd(3)}  ${text}`),
    ...(sections.notes ? ['', sections.notes] : []),
  ];
  return command.addHelpText('after', lines.join('\n'));
}
