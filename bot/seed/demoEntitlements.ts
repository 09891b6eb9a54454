import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { resolvePrincipal } from '../auth/principal';
import { addResourceRoleScope } from '../commands/accessPackages/addResourceRoleScope';
import { createAccessPackage } from '../commands/accessPackages/createAccessPackage';
import { createAccessPackageBody, createResourceRoleScopeBody } from '../commands/accessPackages/schemas';
import { createCatalog } from '../commands/catalogs/createCatalog';
import { createCatalogBody } from '../commands/catalogs/schemas';
import { addSponsor } from '../commands/connectedOrganizations/addSponsor';
import { createConnectedOrganization } from '../commands/connectedOrganizations/createConnectedOrganization';
import { createConnectedOrganizationBody } from '../commands/connectedOrganizations/schemas';
import { createRoleAssignment } from '../commands/directory/createRoleAssignment';
import { createRoleAssignmentBody } from '../commands/directory/schemas';
import { createAssignmentPolicy } from '../commands/policies/createAssignmentPolicy';
import { createPolicyBody } from '../commands/policies/schemas';
import { addResourceToCatalog } from '../commands/resources/addResourceToCatalog';
import type { Clock, CommandContext } from '../context';
import { catalogScope, entitlementRoles } from '../domain/roles';
import type { Dialect } from '../store/db';
import type { Database } from '../store/schema';
import { demo } from './tenant';

const day = 24 * 3600 * 1000;

/**
 * The demo's entitlement-management configuration (DESIGN §7): connected organization Fabrikam
 * with its sponsors, the catalog "Fabrikam extranet" holding Project Falcon's team and site, and the
 * hidden package with the seed's policy. Created through the same commands and body schemas the
 * Graph routes use, acting as the demo administrator, so the seed can never hold what the API
 * would refuse.
 */
export async function seedDemoEntitlements(db: Kysely<Database>, dialect: Dialect, clock: Clock): Promise<void> {
  const principal = await resolvePrincipal(db, { objectId: demo.users.admin.id, tenantId: demo.contoso.id, userPrincipalName: demo.users.admin.upn, displayName: demo.users.admin.name, email: demo.users.admin.upn }, clock.now(), undefined, { signIn: false });
  const ctx: CommandContext = { db, dialect, principal, clock, requestId: randomUUID(), publicUrl: '', subscriptions: {}, wake: () => undefined };

  const fabrikam = await createConnectedOrganization(
    ctx,
    createConnectedOrganizationBody.parse({
      displayName: demo.fabrikam.name,
      description: 'Fabrikam, engineering partner on Project Falcon.',
      identitySources: [
        { '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant', tenantId: demo.fabrikam.id, displayName: demo.fabrikam.name },
        { '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: demo.fabrikam.domain, displayName: demo.fabrikam.domain },
      ],
      state: 'configured',
    }),
  );
  await addSponsor(ctx, fabrikam.id, 'internal', demo.users.adele.id);
  await addSponsor(ctx, fabrikam.id, 'external', demo.ruthGuest.id);

  const catalog = await createCatalog(
    ctx,
    createCatalogBody.parse({ displayName: demo.catalogName, description: 'Resources shared with Fabrikam.', state: 'published', isExternallyVisible: true }),
  );
  await createRoleAssignment(
    ctx,
    createRoleAssignmentBody.parse({ principalId: demo.users.megan.id, roleDefinitionId: entitlementRoles.catalogOwner, appScopeId: catalogScope(catalog.id), directoryScopeId: '/' }),
  );
  const falcon = demo.projectFalcon;
  await addResourceToCatalog(ctx, catalog.id, { originId: falcon.groupId, originSystem: 'AadGroup' });
  await addResourceToCatalog(ctx, catalog.id, { originId: falcon.siteUrl, originSystem: 'SharePointOnline' });
  const groupResource = await db.selectFrom('resources').select('id').where('catalogId', '=', catalog.id).where('originId', '=', falcon.groupId).executeTakeFirstOrThrow();
  const siteResource = await db.selectFrom('resources').select('id').where('catalogId', '=', catalog.id).where('originId', '=', falcon.siteUrl).executeTakeFirstOrThrow();

  const accessPackage = await createAccessPackage(
    ctx,
    createAccessPackageBody.parse({
      displayName: demo.packageName,
      description: 'Member of the Project Falcon team and its SharePoint site, for Fabrikam engineers.',
      isHidden: true,
      catalog: { id: catalog.id },
    }),
  );
  await addResourceRoleScope(
    ctx,
    accessPackage.id,
    createResourceRoleScopeBody.parse({
      role: { originId: `Member_${falcon.groupId}`, originSystem: 'AadGroup', resource: { id: groupResource.id } },
      scope: { originId: falcon.groupId, originSystem: 'AadGroup' },
    }),
  );
  await addResourceRoleScope(
    ctx,
    accessPackage.id,
    createResourceRoleScopeBody.parse({
      role: { originId: '5', originSystem: 'SharePointOnline', resource: { id: siteResource.id } },
      scope: { originId: falcon.siteUrl, originSystem: 'SharePointOnline' },
    }),
  );

  await createAssignmentPolicy(
    ctx,
    createPolicyBody.parse(
      demoPolicyBody({
        accessPackageId: accessPackage.id,
        connectedOrganizationId: fabrikam.id,
        reviewStart: new Date(clock.now().getTime() + 90 * day),
      }),
    ),
  );
}

/**
 * The demo's policy as a Graph request body (DESIGN §7): Fabrikam only, approval by the external
 * sponsor with Lee as fallback, 90-day expiry, quarterly review by the internal sponsors, one question.
 */
export function demoPolicyBody(ids: { accessPackageId: string; connectedOrganizationId: string; reviewStart: Date }) {
  const { accessPackageId, connectedOrganizationId, reviewStart } = ids;
  return {
    displayName: 'Fabrikam partners',
    description: 'Fabrikam users request; Fabrikam sponsors approve, Lee Gu when no sponsor can be found.',
    accessPackage: { id: accessPackageId },
    allowedTargetScope: 'specificConnectedOrganizationUsers',
    specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', connectedOrganizationId, description: demo.fabrikam.name }],
    expiration: { type: 'afterDuration', duration: 'P90D' },
    requestorSettings: { enableTargetsToSelfAddAccess: true, enableTargetsToSelfUpdateAccess: true, enableTargetsToSelfRemoveAccess: true, allowCustomAssignmentSchedule: false },
    requestApprovalSettings: {
      isApprovalRequiredForAdd: true,
      isApprovalRequiredForUpdate: true,
      isRequestorJustificationRequired: true,
      stages: [
        {
          durationBeforeAutomaticDenial: 'P14D',
          isApproverJustificationRequired: false,
          isEscalationEnabled: false,
          primaryApprovers: [{ '@odata.type': '#microsoft.graph.externalSponsors' }],
          fallbackPrimaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: demo.users.lee.id, description: demo.users.lee.name }],
        },
      ],
    },
    reviewSettings: {
      isEnabled: true,
      expirationBehavior: 'keepAccess',
      isRecommendationEnabled: true,
      isReviewerJustificationRequired: false,
      isSelfReview: false,
      schedule: {
        startDateTime: reviewStart.toISOString(),
        expiration: { type: 'afterDuration', duration: 'P14D' },
        recurrence: { pattern: { type: 'absoluteMonthly', interval: 3 }, range: { type: 'noEnd' } },
      },
      primaryReviewers: [{ '@odata.type': '#microsoft.graph.internalSponsors' }],
      fallbackReviewers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: demo.users.lee.id }],
    },
    questions: [
      {
        '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion',
        sequence: 1,
        isRequired: true,
        isAnswerEditable: true,
        text: 'What will you work on in Project Falcon?',
        localizations: [{ text: 'Waaraan ga je werken in Project Falcon?', languageCode: 'nl' }],
        isSingleLineQuestion: false,
      },
    ],
  };
}