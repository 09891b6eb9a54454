/**
 * The demo tenant's stable facts (DESIGN §7): names and ids that tests, docs and the Agents
 * Playground configuration rely on.
 */
export const demo = {
  contoso: { id: 'c0c0c0c0-0000-4000-8000-000000000001', name: 'Contoso', domain: 'contoso.test' },
  fabrikam: { id: 'fab0fab0-0000-4000-8000-000000000002', name: 'Fabrikam', domain: 'fabrikam.test' },
  litware: { id: '11700000-0000-4000-8000-000000000003', name: 'Litware', domain: 'litware.test' },
  users: {
    admin: { id: 'a0000000-0000-4000-8000-00000000ad01', upn: 'admin@contoso.test', name: 'Portier Admin', given: 'Portier', surname: 'Admin', jobTitle: 'Identity Governance Administrator' },
    megan: { id: 'a0000000-0000-4000-8000-00000000e9a1', upn: 'megan@contoso.test', name: 'Megan Bowen', given: 'Megan', surname: 'Bowen', jobTitle: 'Project Falcon lead' },
    adele: { id: 'a0000000-0000-4000-8000-0000000ade1e', upn: 'adele@contoso.test', name: 'Adele Vance', given: 'Adele', surname: 'Vance', jobTitle: 'Partner manager' },
    lee: { id: 'a0000000-0000-4000-8000-00000000011e', upn: 'lee@contoso.test', name: 'Lee Gu', given: 'Lee', surname: 'Gu', jobTitle: 'Operations manager' },
    alex: { id: 'a0000000-0000-4000-8000-00000000a1e8', upn: 'alex@contoso.test', name: 'Alex Wilber', given: 'Alex', surname: 'Wilber', jobTitle: 'Engineer' },
  },
  /** Ruth is already a guest of Contoso; her guest object has its own id. */
  ruthGuest: { id: 'a0000000-0000-4000-8000-0000000a7007', upn: 'ruth_fabrikam.test#EXT#@contoso.test', name: 'Ruth Fabrikam (Guest)' },
  partners: {
    ruth: { id: 'b0000000-0000-4000-8000-00000000a7a1', tenant: 'fabrikam', upn: 'ruth@fabrikam.test', name: 'Ruth Fabrikam' },
    pradeep: { id: 'b0000000-0000-4000-8000-0000000de1e1', tenant: 'fabrikam', upn: 'pradeep@fabrikam.test', name: 'Pradeep Gupta' },
    isabel: { id: 'b0000000-0000-4000-8000-00000000abe1', tenant: 'fabrikam', upn: 'isabel@fabrikam.test', name: 'Isabel Garcia' },
    diego: { id: 'b0000000-0000-4000-8000-00000000d1e9', tenant: 'litware', upn: 'diego@litware.test', name: 'Diego Siciliani' },
  },
  projectFalcon: {
    groupId: 'f0000000-0000-4000-8000-0000000fa1c0',
    name: 'Project Falcon',
    siteId: 'contoso.sharepoint.com,f0000000-0000-4000-8000-0000005173e0,f0000000-0000-4000-8000-0000005173e1',
    siteUrl: 'https://contoso.sharepoint.com/sites/ProjectFalcon',
  },
  catalogName: 'Fabrikam extranet',
  packageName: 'Project Falcon – partner access',
} as const;
