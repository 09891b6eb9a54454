/**
 * aad.manifest.json, the Entra app registration that aadApp/update applies: Teams SSO (the access_as_user scope,
 * the Teams / Microsoft 365 / Outlook clients pre-authorized, the same Application ID URI as the Teams manifest's
 * webApplicationInfo), multi-tenant sign-in, and the Microsoft Graph permissions README "Run in your tenant" explains.
 */
import { loadYaml, read } from './project';

interface AadManifest {
  id: string;
  appId: string;
  displayName: string;
  identifierUris: string[];
  signInAudience: string;
  api: {
    requestedAccessTokenVersion: number;
    oauth2PermissionScopes: { id: string; value: string; type: string; isEnabled: boolean }[];
    preAuthorizedApplications: { appId: string; delegatedPermissionIds: string[] }[];
  };
  requiredResourceAccess: { resourceAppId: string; resourceAccess: { id: string; type: 'Scope' | 'Role' }[] }[];
  spa: { redirectUris: string[] };
}

const aad = JSON.parse(read('aad.manifest.json')) as AadManifest;
const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Clients that get Teams SSO tokens without a consent prompt (Teams platform docs, "Configure your tab app in Microsoft Entra ID"). */
const teamsClients = ['1fec8e78-bce4-4aaf-ab1b-5451cc387264', '5e3ce6c0-2b1f-4285-8d4b-75ee78787346'];
const microsoft365AndOutlookClients = [
  '4765445b-32c6-49b0-83e6-1d93765276ca', // Microsoft 365 web
  '0ec893e0-5785-4de6-99da-4ed124e5296c', // Microsoft 365 desktop
  'd3590ed6-52b3-4102-aeff-aad2292ab01c', // Microsoft 365 mobile, Outlook desktop
  'bc59ab01-8403-45c6-8796-ac3ef710b3e3', // Outlook web
  '27922004-5251-4030-b22d-91ecd9a37ea4', // Outlook mobile
];

/** The Microsoft Graph permissions Portier requests (README "Run in your tenant" says which mode needs which). */
const graphPermissions = {
  Scope: ['User.Read', 'User.ReadBasic.All', 'EntitlementManagement.ReadWrite.All'],
  Role: [
    'User.Invite.All',
    'User.ReadWrite.All',
    'GroupMember.ReadWrite.All',
    'Sites.FullControl.All',
    'TeamsAppInstallation.ReadWriteSelfForUser.All',
    'EntitlementManagement.ReadWrite.All',
  ],
};

describe('aad.manifest.json', () => {
  const scope = aad.api.oauth2PermissionScopes.find((s) => s.value === 'access_as_user');

  test('exposes the access_as_user scope, with the id aadApp/update generates', () => {
    expect(scope).toMatchObject({ type: 'User', isEnabled: true, id: '${{AAD_APP_ACCESS_AS_USER_PERMISSION_ID}}' });
    expect(aad.api.requestedAccessTokenVersion).toBe(2);
  });

  test('pre-authorizes the Teams clients (and Microsoft 365 / Outlook) for that scope', () => {
    const ids = aad.api.preAuthorizedApplications.map((p) => p.appId);
    for (const client of [...teamsClients, ...microsoft365AndOutlookClients]) expect(ids).toContain(client);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of aad.api.preAuthorizedApplications) {
      expect(p.appId).toMatch(guid);
      expect(p.delegatedPermissionIds).toEqual([scope?.id]);
    }
  });

  test('has the Application ID URI the Teams manifest asks tokens for', () => {
    expect(aad.identifierUris).toEqual(['api://${{BOT_DOMAIN}}/${{AAD_APP_CLIENT_ID}}']);
    const manifest = JSON.parse(read('appPackage/manifest.json')) as { webApplicationInfo: { id: string; resource: string } };
    expect(manifest.webApplicationInfo).toEqual({ id: aad.appId, resource: aad.identifierUris[0] });
    expect(aad.appId).toBe('${{AAD_APP_CLIENT_ID}}');
    expect(aad.id).toBe('${{AAD_APP_OBJECT_ID}}');
    expect(aad.spa.redirectUris).toEqual(['https://${{BOT_DOMAIN}}/']);
  });

  test('is multi-tenant and named like the registration aadApp/create makes (aadApp/update renames it otherwise)', () => {
    expect(aad.signInAudience).toBe('AzureADMultipleOrgs');
    for (const file of ['teamsapp.yml', 'teamsapp.local.yml']) {
      const create = loadYaml(file).provision?.find((a) => a.uses === 'aadApp/create');
      expect(create?.with).toMatchObject({ name: aad.displayName, signInAudience: aad.signInAudience });
    }
  });

  test('requests exactly the Microsoft Graph permissions Portier uses', () => {
    expect(aad.requiredResourceAccess).toHaveLength(1);
    const [graph] = aad.requiredResourceAccess;
    expect(graph.resourceAppId).toBe('Microsoft Graph');
    const byType = (type: 'Scope' | 'Role'): string[] => graph.resourceAccess.filter((r) => r.type === type).map((r) => r.id).sort();
    expect(byType('Scope')).toEqual([...graphPermissions.Scope].sort());
    expect(byType('Role')).toEqual([...graphPermissions.Role].sort());
    expect(graph.resourceAccess).toHaveLength(graphPermissions.Scope.length + graphPermissions.Role.length);
  });
});
