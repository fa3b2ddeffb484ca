import { builder } from './builder.ts';
import './health.ts';

export const schema = builder.toSchema({ sortSchema: true });
