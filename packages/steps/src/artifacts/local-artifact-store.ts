import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, cp, mkdir, readdir, readFile, realpath, rename, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ArtifactDigest } from '@cairn/core';
import { ErrorCode, OrchestratorError } from '@cairn/core';
import type { JobArtifactStore } from './job-artifact-store.js';

/** Options of {@link LocalArtifactStore}. */
export interface LocalArtifactStoreOptions {
  /** Directory that holds `s3/<bucket>/<key>`. */
  root: string;
  /** Read-only URI prefix (or single object) → absolute local path. @defaultValue {} */
  mounts?: Readonly<Record<string, string>>;
}

/** Where a URI lives on disk and whether Cairn may write there. */
export interface LocalLocation {
  path: string;
  readOnly: boolean;
}

/**
 * The embedded runtime's artifact store: `s3://bucket/key` ↔ `<root>/s3/<bucket>/<key>`, with
 * read-only mounts for code and data that live elsewhere, and `file://` URIs as they are.
 */
export class LocalArtifactStore implements JobArtifactStore {
  readonly id = 'local';
  readonly root: string;
  private readonly mounts: [prefix: string, path: string][];

  constructor(options: LocalArtifactStoreOptions) {
    this.root = resolve(options.root);
    // Longest prefix first, so a mount of one object inside a mounted prefix wins.
    this.mounts = Object.entries(options.mounts ?? {}).sort((a, b) => b[0].length - a[0].length);
  }

  /** Maps a URI to its local path; throws `INPUT_UNREADABLE` for schemes other than s3:// and file://. */
  locate(uri: string): LocalLocation {
    for (const [prefix, path] of this.mounts) {
      const rest = mountRemainder(uri, prefix);
      if (rest !== undefined) return { path: rest ? join(path, rest) : path, readOnly: true };
    }
    if (uri.startsWith('file://')) return { path: fileURLToPath(uri), readOnly: false };
    const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
    if (!match) {
      throw new OrchestratorError(ErrorCode.InputUnreadable, `"${uri}" is not an s3:// or file:// URI.`, {
        fix: 'use an s3://bucket/key URI (stored under the artifacts root) or a file:// URI.',
      });
    }
    const bucket = resolve(this.root, 's3', match[1] ?? '');
    const path = resolve(bucket, match[2] ?? '');
    if (path !== bucket && !path.startsWith(bucket + sep)) {
      throw new OrchestratorError(ErrorCode.InputUnreadable, `"${uri}" points outside its bucket in the artifacts root.`, {
        fix: 'remove ".." segments from the key.',
      });
    }
    return { path, readOnly: false };
  }

  /** Reads a whole object as UTF-8 text. */
  async readText(uri: string): Promise<string> {
    const { path } = this.locate(uri);
    try {
      return await readFile(path, 'utf8');
    } catch (cause) {
      throw missing(uri, path, cause);
    }
  }

  /** Writes an object (creating its "folders"). */
  async writeText(uri: string, text: string | Uint8Array): Promise<void> {
    const path = this.writablePath(uri);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }

  /** SHA-256 of a file, or of the sorted listing and contents of a prefix; `undefined` when absent. */
  async digest(uri: string): Promise<ArtifactDigest | undefined> {
    const { path } = this.locate(uri);
    const info = await stat(path).catch(() => undefined);
    if (!info) return undefined;
    if (info.isFile()) return { kind: 'SHA256', value: await hashFile(path) };
    const hash = createHash('sha256');
    for (const file of await listFiles(path)) {
      hash.update(`${file}\0${await hashFile(join(path, file))}\n`);
    }
    return { kind: 'SHA256', value: hash.digest('hex') };
  }

  /** URIs of every object under a prefix (or the object itself), sorted. */
  async list(uri: string): Promise<string[]> {
    const { path } = this.locate(uri);
    const info = await stat(path).catch((cause: unknown) => {
      throw missing(uri, path, cause);
    });
    if (info.isFile()) return [uri];
    const base = uri.endsWith('/') ? uri : `${uri}/`;
    return (await listFiles(path)).map((file) => base + file.split(sep).join('/'));
  }

  /**
   * Makes an object or prefix (S3Prefix semantics: the objects under it, by relative key) appear in
   * `dir`, by symlinks to the real files, so scripts in a mounted code directory still resolve their
   * own `node_modules`.
   */
  async materialize(uri: string, dir: string): Promise<void> {
    const { path } = this.locate(uri);
    const info = await stat(path).catch((cause: unknown) => {
      throw missing(uri, path, cause);
    });
    await mkdir(dir, { recursive: true });
    const real = await realpath(path);
    if (info.isFile()) {
      await symlink(real, join(dir, basename(path)));
      return;
    }
    for (const entry of await readdir(real)) await symlink(join(real, entry), join(dir, entry));
  }

  /** Copies the contents of `dir` under the prefix `uri` (S3 upload of a directory). */
  async upload(dir: string, uri: string): Promise<void> {
    const target = this.writablePath(uri);
    await mkdir(target, { recursive: true });
    await cp(dir, target, { recursive: true, dereference: true, force: true });
  }

  /** The object's own path (nothing is copied). */
  localFile(uri: string): Promise<string> {
    return Promise.resolve(this.locate(uri).path);
  }

  /** Moves the file to the object's path (copies it across file systems). */
  async putFile(file: string, uri: string): Promise<void> {
    const target = this.writablePath(uri);
    await mkdir(dirname(target), { recursive: true });
    await rename(file, target).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EXDEV') throw err;
      await copyFile(file, target);
    });
  }

  /** Local path of a writable URI; mounts are read-only. */
  writablePath(uri: string): string {
    const location = this.locate(uri);
    if (location.readOnly) {
      throw new OrchestratorError(ErrorCode.InputUnreadable, `"${uri}" is inside a read-only mount.`, {
        fix: 'write outputs to another s3:// URI, or remove the mount from cairn.config.json.',
      });
    }
    return location.path;
  }
}

/** The part of `uri` after a mount prefix, or undefined when the mount does not cover it. */
function mountRemainder(uri: string, prefix: string): string | undefined {
  if (uri === prefix) return '';
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return uri.startsWith(base) ? uri.slice(base.length) : undefined;
}

function missing(uri: string, path: string, cause: unknown): OrchestratorError {
  return new OrchestratorError(ErrorCode.InputUnreadable, `The object "${uri}" does not exist (looked at ${path}).`, {
    cause,
    fix: 'check that an earlier step wrote it, or add a mount for it under "artifacts.mounts" in cairn.config.json.',
  });
}

/** Relative paths of every file under `dir`, following symlinks, sorted. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const full = join(entry.parentPath, entry.name);
    if ((await stat(full)).isFile()) files.push(relative(dir, full));
  }
  return files.sort();
}

function hashFile(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}
