/** `/v1/organization`: the caller's organization and its settings, for administrators. */
import { scopeOf } from '../auth.ts';
import { errorResponses } from '../views/common.ts';
import { OrganizationView, UpdateOrganizationBody, toOrganizationView } from '../views/organization.ts';
import type { ApiRoutes } from './route-deps.ts';

const tags = ['organization'];

/** The organization routes. */
export const organizationRoutes: ApiRoutes = (api, { services }) => {
  const organization = services.organization;

  api.get('/organization', {
    config: { permission: 'organization:read' },
    schema: {
      tags,
      summary: 'Get the caller’s organization and its settings',
      response: { 200: OrganizationView, ...errorResponses },
    },
    handler: async (request) => toOrganizationView(await organization.get(scopeOf(request))),
  });

  api.patch('/organization', {
    // The service records the change with the settings before and after.
    config: { permission: 'organization:write', audit: false },
    schema: {
      tags,
      summary: 'Change the organization’s settings',
      description:
        '`settings.maxRunsInFlight` caps the organization’s runs in flight (jobs sent to workers or ' +
        'running); `null` restores the deployment’s default (`AUTONOMA_ORG_MAX_RUNS`). The relay and ' +
        'the local queue use it from their next pass. Settings left out are kept.',
      body: UpdateOrganizationBody,
      response: { 200: OrganizationView, ...errorResponses },
    },
    handler: async (request) =>
      toOrganizationView(await organization.update(scopeOf(request), request.body.settings)),
  });
};
