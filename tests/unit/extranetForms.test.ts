import { capabilitiesOf, roleIds } from '../../tab/src/extranet/capabilities';
import { directLink, durationDays, extranetTabConfig, groupIdFromHash, identitySources, validateCatalog, validateOrganization, validatePackage, validateSettings } from '../../tab/src/extranet/forms';

describe(validateOrganization.name, () => {
  const base = { displayName: 'Fabrikam', description: '', sourceKind: 'domain' as const, source: 'fabrikam.com' };

  it.each([
    ['a domain', base, {}],
    ['a tenant id', { ...base, sourceKind: 'tenant' as const, source: 'FAB0FAB0-0000-4000-8000-000000000002' }, {}],
    ['no name', { ...base, displayName: ' ' }, { displayName: 'required' }],
    ['no source', { ...base, source: '' }, { source: 'required' }],
    ['a domain without a dot', { ...base, source: 'fabrikam' }, { source: 'invalidDomain' }],
    ['a domain with a leading hyphen', { ...base, source: '-fabrikam.com' }, { source: 'invalidDomain' }],
    ['an address instead of a domain', { ...base, source: 'ruth@fabrikam.com' }, { source: 'invalidDomain' }],
    ['a tenant id that is not a GUID', { ...base, sourceKind: 'tenant' as const, source: 'fabrikam.com' }, { source: 'invalidTenantId' }],
    ['a description over 1024 characters', { ...base, description: 'x'.repeat(1025) }, { description: 'tooLong' }],
  ])('%s', (_name, draft, expected) => expect(validateOrganization(draft)).toEqual(expected));

  it('makes Graph identity sources, lower-cased', () => {
    expect(identitySources({ ...base, source: ' Fabrikam.COM ' })).toEqual([{ '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: 'fabrikam.com', displayName: 'fabrikam.com' }]);
    expect(identitySources({ ...base, sourceKind: 'tenant', source: 'FAB0FAB0-0000-4000-8000-000000000002' })).toEqual([
      { '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant', tenantId: 'fab0fab0-0000-4000-8000-000000000002', displayName: 'Fabrikam' },
    ]);
  });
});

describe('catalog, package and settings forms', () => {
  it('need a name, a catalog, and whole days before deletion', () => {
    expect(validateCatalog({ displayName: '', description: '', enabled: true, externallyVisible: true })).toEqual({ displayName: 'required' });
    expect(validatePackage({ displayName: 'P', description: '', catalogId: '', hidden: false })).toEqual({ catalogId: 'pickCatalog' });
    expect(validateSettings({ action: 'blockSignInAndDelete', deleteAfterDays: '2.5' })).toEqual({ deleteAfterDays: 'positiveWholeNumber' });
    expect(validateSettings({ action: 'blockSignInAndDelete', deleteAfterDays: '0' })).toEqual({ deleteAfterDays: 'positiveWholeNumber' });
    expect(validateSettings({ action: 'blockSignIn', deleteAfterDays: '' })).toEqual({});
    expect(durationDays('P30D')).toBe(30);
    expect(durationDays('PT12H')).toBeUndefined();
  });
});

describe('links and the tab configuration', () => {
  it('builds the direct link on PUBLIC_URL', () => {
    expect(directLink('https://portier.example.com/', 'a b')).toBe('https://portier.example.com/#/access-packages/a%20b');
  });

  it('reads the team from the tab’s content URL, and nothing that is not a group id', () => {
    expect(groupIdFromHash('#/extranet/catalogs?groupId=f0000000-0000-4000-8000-0000000fa1c0')).toBe('f0000000-0000-4000-8000-0000000fa1c0');
    expect(groupIdFromHash('#/extranet?groupId=../../users')).toBeUndefined();
    expect(groupIdFromHash('#/extranet')).toBeUndefined();
  });

  it('registers one tab identity per team, opening on that team', () => {
    expect(extranetTabConfig('https://portier.example.com/', 'f0000000-0000-4000-8000-0000000fa1c0', 'Extranet')).toEqual({
      entityId: 'portier-extranet-f0000000-0000-4000-8000-0000000fa1c0',
      contentUrl: 'https://portier.example.com/#/extranet?groupId=f0000000-0000-4000-8000-0000000fa1c0',
      websiteUrl: 'https://portier.example.com/#/extranet?groupId=f0000000-0000-4000-8000-0000000fa1c0',
      suggestedDisplayName: 'Extranet',
    });
  });
});

describe(capabilitiesOf.name, () => {
  const catalog = 'c1';
  const scope = `/AccessPackageCatalog/${catalog}`;

  it('gives a member without roles nothing to manage', () => {
    const caps = capabilitiesOf({ isMember: true, isAdministrator: false, assignments: [] });
    expect(caps.managesAnything).toBe(false);
    expect([caps.createCatalogs, caps.readOrganizations, caps.writePackages(catalog), caps.manageAssignments(catalog)]).toEqual([false, false, false, false]);
  });

  it('lets a catalog creator create catalogs, read organizations and propose one, not configure them', () => {
    const caps = capabilitiesOf({ isMember: true, isAdministrator: false, assignments: [{ roleDefinitionId: roleIds.catalogCreator, appScopeId: '/' }] });
    expect([caps.managesAnything, caps.createCatalogs, caps.readOrganizations, caps.proposeOrganizations, caps.writeOrganizations, caps.readAudit, caps.editCatalog(catalog)]).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it('lets policy writers propose organizations, and not readers or assignment managers', () => {
    const propose = (role: string) => capabilitiesOf({ isMember: true, isAdministrator: false, assignments: [{ roleDefinitionId: role, appScopeId: scope }] }).proposeOrganizations;
    expect([roleIds.catalogOwner, roleIds.accessPackageManager, roleIds.accessPackageAssignmentManager, roleIds.catalogReader].map(propose)).toEqual([true, true, false, false]);
  });

  it.each([
    ['catalog owner', roleIds.catalogOwner, [true, true, true]],
    ['access package manager', roleIds.accessPackageManager, [false, true, true]],
    ['assignment manager', roleIds.accessPackageAssignmentManager, [false, false, true]],
    ['catalog reader', roleIds.catalogReader, [false, false, false]],
  ])('scopes a %s to their catalog', (_name, role, [edit, packages, assignments]) => {
    const caps = capabilitiesOf({ isMember: true, isAdministrator: false, assignments: [{ roleDefinitionId: role, appScopeId: scope }] });
    expect([caps.editCatalog(catalog), caps.writePackages(catalog), caps.manageAssignments(catalog)]).toEqual([edit, packages, assignments]);
    expect([caps.editCatalog('other'), caps.writePackages('other'), caps.manageAssignments('other')]).toEqual([false, false, false]);
  });

  it('lets administrators do everything and guests nothing, whatever roles they hold', () => {
    const admin = capabilitiesOf({ isMember: true, isAdministrator: true, assignments: [] });
    expect([admin.writeOrganizations, admin.readAudit, admin.writeSettings, admin.editCatalog('any')]).toEqual([true, true, true, true]);
    const guest = capabilitiesOf({ isMember: false, isAdministrator: false, assignments: [{ roleDefinitionId: roleIds.catalogOwner, appScopeId: scope }] });
    expect([guest.managesAnything, guest.proposeOrganizations]).toEqual([false, false]);
  });
});
