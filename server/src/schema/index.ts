import { builder } from './builder.ts';
import './health.ts';
import './jobs.ts';
import './logs.ts';

export const schema = builder.toSchema({ sortSchema: true });
