/** How the caller's organization and its settings look through the API and in the CLI's `--json` output. */
import { z } from 'zod';
import { maxRunsInFlightLimit, type OrganizationDetail } from '../../services/organization-service.ts';

const time = z.number().describe('milliseconds since the epoch, UTC');

/** The cap on runs in flight: a positive integer, or `null` for the deployment's default. */
const MaxRunsInFlight = z
  .number()
  .int()
  .min(1)
  .max(maxRunsInFlightLimit)
  .nullable()
  .describe(
    'cap on the organization’s runs in flight (jobs sent to workers or running); `null`: the deployment’s default (AUTONOMA_ORG_MAX_RUNS)',
  );

/** The organization's own settings (`null`: the deployment's default). */
export const OrganizationSettingsView = z
  .object({ maxRunsInFlight: MaxRunsInFlight })
  .meta({ id: 'OrganizationSettings' });

/** The caller's organization. */
export const OrganizationView = z
  .object({
    id: z.string(),
    name: z.string(),
    createdAt: time,
    settings: OrganizationSettingsView,
    effective: z
      .object({ maxRunsInFlight: z.number().int() })
      .describe('the settings in force: each unset one replaced by the deployment’s default'),
  })
  .meta({ id: 'Organization' });
/** The organization as clients see it. */
export type OrganizationView = z.infer<typeof OrganizationView>;

/** `PATCH /v1/organization`: the settings to change; those absent are kept. */
export const UpdateOrganizationBody = z
  .strictObject({
    settings: z.strictObject({ maxRunsInFlight: MaxRunsInFlight.optional() }),
  })
  .meta({ id: 'UpdateOrganization' });
/** The body of `PATCH /v1/organization`. */
export type UpdateOrganizationBody = z.infer<typeof UpdateOrganizationBody>;

/** The API view of an organization. */
export const toOrganizationView = (organization: OrganizationDetail): OrganizationView => ({
  id: organization.id,
  name: organization.name,
  createdAt: organization.createdAt,
  settings: { ...organization.settings },
  effective: { ...organization.effective },
});
