// Prometheus metrics: sign-in and audit events by type and outcome, request latency by route, and
// the process's own figures. Served at /metrics to loopback, or to anyone with the metrics token.
import { timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuditLog } from '../adapters/postgres/audit-log.ts';

export interface Metrics {
  middleware: (ctx: Context, next: Next) => Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** A label that names the route, not the URL: ids and tokens never become label values. */
function routeLabel(ctx: Context): string {
  const oidcRoute = (ctx as unknown as { oidc?: { route?: string } }).oidc?.route;
  if (oidcRoute) return oidcRoute;
  const matched = (ctx as unknown as { _matchedRoute?: string })._matchedRoute;
  return typeof matched === 'string' ? matched : 'other';
}

function allowed(ctx: Context, token: string | undefined): boolean {
  if (!token) return LOOPBACK.has(ctx.ip);
  const given = Buffer.from(ctx.get('authorization').replace(/^Bearer\s+/i, ''));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function createMetrics(audit: AuditLog, token: string | undefined): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sekisho_' });
  const events = new Counter({
    name: 'sekisho_events_total',
    help: 'Audited events (sign-ins, method and client changes) by type and outcome',
    labelNames: ['type', 'outcome'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'sekisho_http_request_duration_seconds',
    help: 'Request latency by route and status class',
    labelNames: ['route', 'status'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  audit.onRecord((e) => events.inc({ type: e.type, outcome: e.outcome ?? 'success' }));

  return {
    async middleware(ctx, next) {
      if (ctx.path === '/metrics' && ctx.method === 'GET') {
        if (!allowed(ctx, token)) {
          ctx.status = 404;
          return;
        }
        ctx.type = registry.contentType;
        ctx.body = await registry.metrics();
        return;
      }
      const stop = latency.startTimer();
      try {
        await next();
      } finally {
        stop({ route: routeLabel(ctx), status: `${Math.floor(ctx.status / 100)}xx` });
      }
    },
  };
}
