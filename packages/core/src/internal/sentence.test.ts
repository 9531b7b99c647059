import { describe, expect, it } from 'vitest';
import { asSentence } from './sentence.js';

describe('asSentence', () => {
  it('adds a full stop only where none ends the text', () => {
    expect(asSentence('connect ECONNREFUSED 127.0.0.1:6379')).toBe('connect ECONNREFUSED 127.0.0.1:6379.');
    expect(asSentence('Connection is closed.')).toBe('Connection is closed.');
    expect(asSentence('Access denied.\n')).toBe('Access denied.');
    expect(asSentence('Is it running?')).toBe('Is it running?');
    expect(asSentence('Waited…')).toBe('Waited…');
    expect(asSentence('see "a.b"')).toBe('see "a.b".');
  });
});
