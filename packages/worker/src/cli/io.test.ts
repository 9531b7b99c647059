import { describe, expect, it } from 'vitest';
import { userCwd } from './io.js';

describe('userCwd', () => {
  it("uses pnpm's INIT_CWD only for the `pnpm cairn` script", () => {
    expect(userCwd({ npm_lifecycle_event: 'cairn', INIT_CWD: '/home/me/project' }, '/repo')).toBe('/home/me/project');
    expect(userCwd({ npm_lifecycle_event: 'test', INIT_CWD: '/home/me/project' }, '/repo')).toBe('/repo');
    expect(userCwd({}, '/repo')).toBe('/repo');
  });
});
