// The lint and type checks run with the suite, so CI sees them fail too.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';

const node = process.execPath;

describe('static checks', () => {
  it('every message key used exists in Japanese and English', () => {
    expect(execFileSync(node, ['scripts/check-locales.ts'], { encoding: 'utf8' })).toMatch(/all used keys present/);
  });

  it('the TypeScript sources type-check under strict', () => {
    execFileSync(node, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.'], { encoding: 'utf8', stdio: 'pipe' });
  }, 180_000);
});
