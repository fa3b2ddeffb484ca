import { builder } from './builder.ts';
import './health.ts';
import './jobs.ts';
import './logs.ts';
import './trials.ts';
import './runs.ts';
import './inference.ts';
import './hub.ts';

export const schema = builder.toSchema({ sortSchema: true });
