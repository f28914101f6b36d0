/**
 * The `/v1` resources, one module each. A resource added later (conversations, schedules, jobs,
 * workers, users, API keys, auth) is one more module here; its routes name their permission and get
 * authentication, errors, request ids and the OpenAPI document from the server.
 */
import { agentRoutes } from './agents.ts';
import { auditRoutes } from './audit.ts';
import { memoryRoutes } from './memories.ts';
import type { ApiRoutes } from './route-deps.ts';
import { runEventRoutes } from './run-events.ts';
import { runRoutes } from './runs.ts';
import { toolRoutes } from './tools.ts';

/** Every `/v1` resource module. */
export const v1Routes: readonly ApiRoutes[] = [
  agentRoutes,
  runRoutes,
  runEventRoutes,
  memoryRoutes,
  auditRoutes,
  toolRoutes,
];
