/**
 * The `/v1` resources, one module each. A resource added later (conversations, schedules, jobs,
 * workers, users, API keys, auth) is one more module here; its routes name their permission and get
 * authentication, errors, request ids and the OpenAPI document from the server.
 */
import { agentRoutes } from './agents.ts';
import { apiKeyRoutes } from './api-keys.ts';
import { auditRoutes } from './audit.ts';
import { authRoutes } from './auth.ts';
import { authSessionRoutes } from './auth-session.ts';
import { conversationRoutes } from './conversations.ts';
import { jobRoutes } from './jobs.ts';
import { memoryRoutes } from './memories.ts';
import { organizationRoutes } from './organization.ts';
import type { ApiRoutes } from './route-deps.ts';
import { runEventRoutes } from './run-events.ts';
import { runReplayRoutes } from './run-replay.ts';
import { runStatsRoutes } from './run-stats.ts';
import { runRoutes } from './runs.ts';
import { scheduleRoutes } from './schedules.ts';
import { toolRoutes } from './tools.ts';
import { userRoutes } from './users.ts';
import { workerRoutes } from './workers.ts';

/** Every `/v1` resource module. */
export const v1Routes: readonly ApiRoutes[] = [
  authRoutes,
  authSessionRoutes,
  userRoutes,
  apiKeyRoutes,
  agentRoutes,
  runRoutes,
  runStatsRoutes,
  runEventRoutes,
  runReplayRoutes,
  memoryRoutes,
  auditRoutes,
  toolRoutes,
  conversationRoutes,
  scheduleRoutes,
  jobRoutes,
  workerRoutes,
  organizationRoutes,
];
