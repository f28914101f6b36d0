import type { AuditLog, Clock, Scope } from '@autonoma/core';
import { notFound } from '@autonoma/core';
import { queryRows, type Executor } from '../store/driver.ts';
import { sql } from '../store/sql.ts';
import { toNumber, toNumberOrNull } from '../store/repositories/values.ts';

/** An organization's own settings; `null` means "the deployment's default". */
export interface OrganizationSettings {
  /**
   * Cap on the organization's `agent-run` jobs in flight (sent to workers or running), read by the
   * relay and the local queue's claim at their next pass. `null`: `AUTONOMA_ORG_MAX_RUNS`.
   */
  maxRunsInFlight: number | null;
}

/** The caller's organization with its settings and what they come to. */
export interface OrganizationDetail {
  id: string;
  name: string;
  createdAt: number;
  settings: OrganizationSettings;
  /** The settings in force: each unset one replaced by the deployment's default. */
  effective: { maxRunsInFlight: number };
}

/** Largest `maxRunsInFlight` accepted: beyond it the cap means nothing on any fleet. */
export const maxRunsInFlightLimit = 1_000_000;

/** What the organization service needs. */
export interface OrganizationServiceDeps {
  /** The store holding `organizations` (its settings are columns there, read by the job selection). */
  db: Executor;
  audit: AuditLog;
  clock: Clock;
  /** `AUTONOMA_ORG_MAX_RUNS`: the cap of an organization that sets none. */
  defaultMaxRunsInFlight: number;
}

/** The caller's organization: read it, change its settings (audited). */
export class OrganizationService {
  readonly #deps: OrganizationServiceDeps;

  constructor(deps: OrganizationServiceDeps) {
    this.#deps = deps;
  }

  /** The caller's organization, or `not_found`. */
  async get(scope: Scope): Promise<OrganizationDetail> {
    const rows = await queryRows(this.#deps.db, sql`SELECT * FROM organizations WHERE id = ${scope.orgId}`);
    if (rows[0] === undefined) throw notFound('organization', scope.orgId);
    return this.#detail(rows[0]);
  }

  /**
   * Changes the settings named in `patch` (absent ones are kept; `null` restores the default) and
   * records the change in the audit log with the values before and after. Values are validated by
   * the caller's schema (the API's, the CLI's flags).
   */
  async update(scope: Scope, patch: Partial<OrganizationSettings>): Promise<OrganizationDetail> {
    const deps = this.#deps;
    const before = await this.get(scope);
    if (patch.maxRunsInFlight === undefined) return before;
    const rows = await queryRows(
      deps.db,
      sql`UPDATE organizations SET max_runs_in_flight = ${patch.maxRunsInFlight}::int
          WHERE id = ${scope.orgId} RETURNING *`,
    );
    if (rows[0] === undefined) throw notFound('organization', scope.orgId);
    const after = this.#detail(rows[0]);
    await deps.audit.append({
      orgId: scope.orgId,
      actor: scope.actor,
      action: 'organization.update',
      target: scope.orgId,
      detail: { before: before.settings, after: after.settings },
      at: deps.clock.now(),
    });
    return after;
  }

  #detail(row: Record<string, unknown>): OrganizationDetail {
    const maxRunsInFlight = toNumberOrNull(row.max_runs_in_flight);
    return {
      id: String(row.id),
      name: String(row.name),
      createdAt: toNumber(row.created_at),
      settings: { maxRunsInFlight },
      effective: { maxRunsInFlight: maxRunsInFlight ?? this.#deps.defaultMaxRunsInFlight },
    };
  }
}
