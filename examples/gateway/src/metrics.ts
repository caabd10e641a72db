/** Prometheus metrics of the gateway (prom-client), on its own registry. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Verifier } from '@scopegate/core';
import { keySetsOf } from './readiness';
import type { DecisionEvent } from '@scopegate/core';

export interface RevocationStats {
  readonly stats: { readonly size: number; readonly lagMs: number };
}

export interface GatewayMetrics {
  readonly registry: Registry;
  decision(event: DecisionEvent): void;
  upstream(seconds: number, status: number): void;
}

export function createMetrics(verifier: Verifier, revocations: RevocationStats | null): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const decisions = new Counter({
    name: 'scopegate_decisions_total',
    help: 'Gate decisions by reason and answered status ("passed" when handed on)',
    labelNames: ['reason', 'status', 'mode'],
    registers: [registry],
  });
  const upstream = new Histogram({
    name: 'scopegate_upstream_duration_seconds',
    help: 'Time from forwarding a request to the upstream\'s response head',
    labelNames: ['status_class'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('scopegate_verifier_cache_hits', 'Verification cache hits since start', () => verifier.cacheStats.hits);
  gauge('scopegate_verifier_cache_misses', 'Verification cache misses since start', () => verifier.cacheStats.misses);
  gauge('scopegate_verifier_cache_size', 'Tokens in the verification cache', () => verifier.cacheStats.size);
  // Summed over every remote key set (several with ISSUERS_FILE).
  const sets = keySetsOf(verifier);
  const sum = (read: (s: (typeof sets)[number]) => number) => () => sets.reduce((n, s) => n + read(s), 0);
  gauge('scopegate_jwks_fetches', 'Key set fetches since start', sum((s) => s.stats.fetches));
  gauge('scopegate_jwks_fetch_failures', 'Failed key set fetches since start', sum((s) => s.stats.failures));
  if (revocations) {
    gauge('scopegate_revoked_mirror_size', 'Revoked token ids in the local mirror', () => revocations.stats.size);
    gauge('scopegate_revoked_mirror_lag_seconds', 'How far behind the revocation mirror may be (0 while subscribed)', () => revocations.stats.lagMs / 1000);
  }
  // Per-request recording goes to label-bound children, made once per label set: prom-client
  // otherwise hashes the label object on every call.
  const decided = new Map<string, ReturnType<typeof decisions.labels>>();
  const answered = new Map<number, ReturnType<typeof upstream.labels>>();
  return {
    registry,
    decision: (e) => {
      const status = e.status === null ? 'passed' : String(e.status);
      const key = `${e.reason} ${status} ${e.mode}`;
      let child = decided.get(key);
      if (child === undefined) decided.set(key, (child = decisions.labels({ reason: e.reason, status, mode: e.mode })));
      child.inc();
    },
    upstream: (seconds, status) => {
      const statusClass = Math.floor(status / 100);
      let child = answered.get(statusClass);
      if (child === undefined) answered.set(statusClass, (child = upstream.labels({ status_class: `${statusClass}xx` })));
      child.observe(seconds);
    },
  };
}
