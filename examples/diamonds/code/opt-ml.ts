/** Maps SageMaker's fixed `/opt/ml` paths into a local sandbox, so one script runs in both places. */
import path from 'node:path';

const OPT_ML = '/opt/ml';

/**
 * Returns `p` re-rooted under `CAIRN_OPT_ML_ROOT` when that variable is set and `p` lies under
 * `/opt/ml` (Cairn's local executor); returns `p` unchanged otherwise (SageMaker).
 */
export function optMl(p: string): string {
  const root = process.env.CAIRN_OPT_ML_ROOT;
  const relative = path.posix.relative(OPT_ML, p);
  if (!root || relative.startsWith('..') || path.posix.isAbsolute(relative)) return p;
  return path.join(root, relative);
}
