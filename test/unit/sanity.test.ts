import { describe, expect, it } from '@jest/globals';
import { Provider } from 'oidc-provider';

describe('toolchain', () => {
  it('runs TypeScript tests against ESM-only packages on Node 24', () => {
    expect(typeof Provider).toBe('function');
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
  });
});
