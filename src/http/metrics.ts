import type pg from 'pg';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { LimitsState, LimitsStore } from '../limits/store.ts';
import type { Route } from './router.ts';

/**
 * Prometheus metrics (prom-client): requests by route, operation and
 * status, their latency, authentication failures by reason, service-account
 * token uses, where limits count (shared in Redis or per instance), the
 * PostgreSQL pool, and the process itself.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'grc_http_requests_total',
    help: 'HTTP requests answered, by route, GraphQL operation and status.',
    labelNames: ['method', 'route', 'operation', 'status'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'grc_http_request_duration_seconds',
    help: 'Time to answer, by route, GraphQL operation and status.',
    labelNames: ['route', 'operation', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly authFailures = new Counter({
    name: 'grc_auth_failures_total',
    help: 'Refused tokens and failed logins, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly tokenUses = new Counter({
    name: 'grc_service_account_token_uses_total',
    help: 'Requests made with a service-account token, by account.',
    labelNames: ['service_account'] as const,
    registers: [this.registry],
  });

  #limits: LimitsStore | undefined;
  readonly limitsState = new Gauge({
    name: 'grc_limits_state',
    help: 'Where the request budget and the login throttle count: 1 for the current state (per-instance: no Redis configured; shared: in Redis; fallback: Redis configured but not answering, per instance until it does), 0 for the others.',
    labelNames: ['store', 'state'] as const,
    registers: [this.registry],
    collect: () => {
      const limits = this.#limits;
      if (!limits) return;
      const current = limits.state();
      const states: LimitsState[] = limits.store === 'redis' ? ['shared', 'fallback'] : ['per-instance'];
      for (const state of states) this.limitsState.set({ store: limits.store, state }, state === current ? 1 : 0);
    },
  });

  /** Reports the state of these limits in `grc_limits_state`. */
  observeLimits(limits: LimitsStore): void {
    this.#limits = limits;
  }

  constructor(pool?: pg.Pool) {
    collectDefaultMetrics({ register: this.registry, prefix: 'grc_' });
    if (pool) {
      const gauge = (name: string, help: string, read: () => number) =>
        new Gauge({
          name,
          help,
          registers: [this.registry],
          collect() {
            this.set(read());
          },
        });
      gauge('grc_db_pool_connections', 'PostgreSQL connections open.', () => pool.totalCount);
      gauge('grc_db_pool_idle_connections', 'PostgreSQL connections idle.', () => pool.idleCount);
      gauge('grc_db_pool_waiting_requests', 'Queries waiting for a connection.', () => pool.waitingCount);
    }
  }
}

/** `GET /metrics`: the registry in Prometheus's text format. */
export function metricsRoutes(metrics: Metrics): Route[] {
  return [
    {
      path: '/metrics',
      summary: 'Prometheus metrics',
      methods: {
        GET: async () =>
          new Response(await metrics.registry.metrics(), { headers: { 'Content-Type': metrics.registry.contentType } }),
      },
    },
  ];
}
