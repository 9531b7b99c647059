import { InvalidArgumentError } from 'commander';

/**
 * Parses one `Name=Value` flag value (`--param`, `--output`) into the collected record, for
 * commander's `argParser`. The value may contain `=`; a repeated name is an error.
 */
export function collectAssignment(text: string, previous: Record<string, string> | undefined): Record<string, string> {
  const at = text.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected Name=Value, got "${text}".`);
  const name = text.slice(0, at);
  if (previous && Object.hasOwn(previous, name)) throw new InvalidArgumentError(`"${name}" is given twice.`);
  return { ...previous, [name]: text.slice(at + 1) };
}
