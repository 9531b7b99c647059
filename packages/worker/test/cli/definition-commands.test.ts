import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, fixture } from './harness.js';

describe('cairn compile', () => {
  it('prints the compact definition of a DSL pipeline module', async () => {
    const { code, stdout } = await cli(['compile', fixture('pipeline.ts')]);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const definition = JSON.parse(stdout) as { Version: string; Steps: { Name: string }[] };
    expect(definition.Version).toBe('2020-12-01');
    expect(definition.Steps.map((s) => s.Name)).toEqual(['Score', 'Check']);
  });

  it('pretty-prints and writes to a file relative to the working directory', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cairn-cli-'));
    const { code, stdout, stderr } = await cli(['compile', fixture('factory.mjs'), '--pretty', '-o', 'out/def.json'], dir);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    const written = await readFile(path.join(dir, 'out/def.json'), 'utf8');
    expect(written).toContain('\n  "Version": "2020-12-01"');
    expect(stderr).toContain(path.join(dir, 'out/def.json'));
  });

  it('exits 2 and lists every issue when the definition is invalid', async () => {
    const { code, stderr } = await cli(['compile', fixture('unknown-reference.json')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/Steps\[0\]\.DependsOn\[0\]: .*To fix: .*\[/);
    expect(stderr).toMatch(/Steps\[0\]\.Arguments\.value\S*: .*"Missing".*To fix: .*\[UNKNOWN_PARAMETER\]/);
  });
});

describe('cairn validate', () => {
  it('prints a one-line summary for a valid definition', async () => {
    const { code, stdout } = await cli(['validate', fixture('definition.json')]);
    expect(code).toBe(0);
    expect(stdout).toBe('✓ definition: 4 steps, 2 parameters, 4 edges\n');
  });

  it('names the pipeline after the DSL object', async () => {
    const { stdout } = await cli(['validate', fixture('pipeline.ts')]);
    expect(stdout).toMatch(/^✓ cli-fixture: 4 steps/);
  });

  it('prints every issue with path, fix and code, and exits 1', async () => {
    const { code, stdout } = await cli(['validate', fixture('invalid.json')]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^Steps\[0\]\.DependOn: Unknown key "DependOn".* To fix: did you mean "DependsOn"\?.* \[UNKNOWN_KEY\]\n$/);
  });

  it('reports the problems a DSL pipeline finds while it is built as issues', async () => {
    const { code, stdout } = await cli(['validate', fixture('bad-dsl.ts')]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^Steps\[1\]: Another step named "Twice".* To fix: .* \[DUPLICATE_STEP_NAME\]$/m);
    const compiled = await cli(['compile', fixture('bad-dsl.ts')]);
    expect(compiled.code).toBe(2);
    expect(compiled.stderr).toContain('[DUPLICATE_STEP_NAME]');
  });

  it('reports issues as JSON with --json', async () => {
    const { code, stdout } = await cli(['validate', fixture('unknown-reference.json'), '--json']);
    expect(code).toBe(1);
    const result = JSON.parse(stdout) as { valid: boolean; name: string; issues: { path: string; code: string; fix: string }[] };
    expect(result.valid).toBe(false);
    expect(result.name).toBe('unknown-reference');
    expect(result.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['Steps[0].DependsOn[0]']));
    expect(result.issues.every((i) => i.fix.length > 0)).toBe(true);
  });

  it('exits 2 on a missing file, on bad JSON and on a module that throws', async () => {
    const missing = await cli(['validate', 'no/such/pipeline.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Cannot read ".*no\/such\/pipeline\.json" \(ENOENT\).*To fix:/);
    const badJson = await cli(['validate', fixture('not-json.json')]);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toContain('is not valid JSON');
    const throws = await cli(['validate', fixture('throws.ts')]);
    expect(throws.code).toBe(2);
    expect(throws.stderr).toContain('boom while building the pipeline');
  });

  it('rejects files that are not pipelines', async () => {
    const { code, stderr } = await cli(['validate', fixture('../harness.ts')]);
    expect(code).toBe(2);
    expect(stderr).toContain('has no default export and no export named "pipeline"');
  });
});

describe('cairn graph', () => {
  it('prints Mermaid by default', async () => {
    const { code, stdout } = await cli(['graph', fixture('definition.json')]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^flowchart /);
    expect(stdout).toContain('Approve<br/>(Callback)');
    expect(stdout).toContain('-->|else|');
  });

  it('prints text with --format text and rejects unknown formats', async () => {
    const text = await cli(['graph', fixture('definition.json'), '--format', 'text']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Approve .*<- Check, Score$/m);
    const bad = await cli(['graph', fixture('definition.json'), '--format', 'png']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("argument 'png' is invalid");
  });
});

describe('cairn --help', () => {
  it('lists the commands and global options', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    for (const word of ['compile', 'validate', 'graph', '--config', '--log-level']) expect(stdout).toContain(word);
  });

  it('documents arguments, defaults, examples and exit codes per command', async () => {
    const { code, stdout } = await cli(['validate', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('<file>');
    expect(stdout).toContain('Examples:');
    expect(stdout).toMatch(/Exit codes:\n {2}0 +the definition is valid\n {2}1 +/);
    const graph = await cli(['graph', '--help']);
    expect(graph.stdout).toMatch(/\(choices: "mermaid", "text",\s+default:\s+"mermaid"\)/);
  });

  it.each([
    ['compile'], ['validate'], ['graph'], ['run'], ['executions'], ['executions', 'list'], ['executions', 'describe'], ['executions', 'steps'],
    ['stop'], ['retry'], ['logs'], ['callback'], ['callback', 'succeed'], ['callback', 'fail'],
  ])('gives examples and exit codes in `%s --help`', async (...command) => {
    const { code, stdout } = await cli([...command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\nExamples:\n {2}\$ cairn /);
    expect(stdout).toMatch(/\nExit codes:\n {2}0 +\S.*\n {2}1 +\S.*\n {2}2 +\S/);
  });

  it('exits 2 on unknown commands and options', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
    const bad = await cli(['validate', fixture('definition.json'), '--nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option '--nope'");
  });
});
