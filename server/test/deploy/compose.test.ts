import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine runs on the CI machines, so `docker compose config` cannot; this checks the same structure.
const compose = parse(readFileSync(new URL('../../../docker-compose.yml', import.meta.url), 'utf8'));

describe('docker-compose.yml', () => {
  it('runs PostgreSQL and the server by default, each with a health check, the server after the database is healthy', () => {
    const defaults = Object.entries(compose.services).filter(([, s]: [string, any]) => !s.profiles).map(([name]) => name);
    expect(defaults.sort()).toEqual(['postgres', 'server']);
    expect(compose.services.postgres.healthcheck.test).toBeDefined();
    expect(compose.services.server.healthcheck.test.join(' ')).toContain('/readyz');
    expect(compose.services.server.depends_on.postgres.condition).toBe('service_healthy');
    expect(compose.services.server.environment.DATABASE_URL).toMatch(/^postgres:\/\/.+@postgres:5432\//);
  });

  it('has a scale profile with two API replicas, a worker and Redis behind one entry point', () => {
    const scaled = Object.entries(compose.services).filter(([, s]: [string, any]) => s.profiles?.includes('scale')).map(([name]) => name);
    expect(scaled.sort()).toEqual(['api-1', 'api-2', 'gateway', 'redis', 'worker']);
    expect(compose.services['api-2'].environment.REDIS_URL).toBe('redis://redis:6379');
    expect(compose.services.worker.command).toContain('--worker');
    expect(compose.services.worker.environment.ANANA_WORKER_FLAVORS).toBeTruthy();
    const nginx = readFileSync(new URL('../../../deploy/nginx.conf', import.meta.url), 'utf8');
    expect(nginx).toContain('api-1:4000');
    expect(nginx).toContain('api-2:4000');
    expect(nginx).toMatch(/Upgrade \$http_upgrade/);
  });

  it('builds the image from a multi-stage Dockerfile that builds the console and keeps a slim runtime', () => {
    const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toContain('npm run build:web');
    expect(dockerfile).toContain('--omit=dev');
    expect(dockerfile).toMatch(/HEALTHCHECK/);
  });
});
