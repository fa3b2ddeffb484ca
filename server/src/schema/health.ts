import { builder } from './builder.ts';
import { checkHealth, type HealthReport } from '../health/check-health.ts';

const DatabaseHealth = builder.objectRef<HealthReport['database']>('DatabaseHealth').implement({
  fields: (t) => ({
    ok: t.exposeBoolean('ok'),
    kind: t.exposeString('kind', { description: '"embedded" (PGlite) or "postgres"' }),
    latencyMs: t.exposeFloat('latencyMs', { nullable: true }),
    error: t.exposeString('error', { nullable: true }),
  }),
});

const Health = builder.objectRef<HealthReport>('Health').implement({
  fields: (t) => ({
    ok: t.exposeBoolean('ok'),
    version: t.exposeString('version'),
    uptimeSeconds: t.exposeFloat('uptimeSeconds'),
    instanceId: t.exposeString('instanceId'),
    database: t.expose('database', { type: DatabaseHealth }),
  }),
});

builder.queryField('health', (t) =>
  t.field({
    type: Health,
    description: 'Whether the server and its database answer, with version and uptime.',
    resolve: (_root, _args, ctx) => checkHealth(ctx.services),
  }),
);
