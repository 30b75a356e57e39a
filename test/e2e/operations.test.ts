// What operations watch: liveness, readiness, and Prometheus metrics that count sign-in outcomes
// without leaking identifiers into labels.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { start, submitPassword } from '../helpers/journey.ts';
import { createRp, type Rp } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('health, readiness and metrics', () => {
  let open: TestServer;
  let guarded: TestServer;
  let rp: Rp;

  beforeAll(async () => {
    open = await startTestServer();
    guarded = await startTestServer({ env: { SEKISHO_METRICS_TOKEN: 'metrics-token-0123456789' } });
    rp = await createRp(open.url, open.services);
  });
  afterAll(async () => {
    await open.close();
    await guarded.close();
  });

  it('answers liveness and readiness', async () => {
    expect(await (await fetch(`${open.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${open.url}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('counts sign-in failures and request latency by route, never by interaction id', async () => {
    await submitPassword(await start(rp), rp, 'nobody', 'wrong password');
    const text = await (await fetch(`${open.url}/metrics`)).text();
    expect(text).toMatch(/sekisho_events_total\{type="signin\.failure",outcome="failure"\} 1/);
    expect(text).toContain('route="/interaction/:uid/login"');
    expect(text).toContain('route="authorization"');
    expect(text).not.toMatch(/route="\/interaction\/[A-Za-z0-9_-]{20,}/);
    expect(text).toContain('sekisho_process_resident_memory_bytes');
  });

  it('asks other hosts for the metrics token when one is configured', async () => {
    expect((await fetch(`${guarded.url}/metrics`)).status).toBe(404);
    const res = await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
    expect(res.status).toBe(200);
  });
});
