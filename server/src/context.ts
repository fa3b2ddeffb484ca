import type { Services } from './services.ts';

export interface Context {
  services: Services;
  /** True when no API token is configured or the request carried the right one. */
  authenticated: boolean;
  /** Who made the request, for audit fields (promotions, aliases). */
  actor: string;
}
